"""`table()`: a list of models shown as a table in a notebook (a plain list cannot be)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from aiodo_projects import _display
from aiodo_projects.models import _Items, _mention

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["Table", "table"]

T = TypeVar("T")


class Table(_Items[T]):
    """Items to display: an HTML table in a notebook, a short repr elsewhere.

    It is a read-only sequence of the items it was given (``len``, indexing, iteration).
    """

    __slots__ = ("items",)

    def __init__(self, items: Iterable[T]) -> None:
        self.items: tuple[T, ...] = tuple(items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def _summary(self) -> str:
        return _display.counted(len(self.items), "item")

    def __rich_repr__(self) -> Iterator[object]:
        """Give rich the first few items and the count."""
        return _display.collection_rich(self.items, {"items": len(self.items)}, _mention)


def table(items: Iterable[T]) -> Table[T]:
    """Return ``items`` (models, such as a list of projects) to display as a table.

    A notebook shows it as an HTML table with the API's columns, at most 20 rows and then how
    many more; a :class:`~aiodo_projects.Page` displays so by itself::

        projects = [p async for p in client.projects.iter_all()]
        aiodo_projects.table(projects)
    """
    return Table(items)
