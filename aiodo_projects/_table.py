"""`table()`: a list of models shown as a table in a notebook (a plain list cannot be)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from aiodo_projects import _display
from aiodo_projects.models import _mention, _row

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["Table", "table"]

T = TypeVar("T")


class Table(Generic[T]):
    """Items to display: an HTML table in a notebook, a short repr elsewhere.

    It is a read-only sequence of the items it was given (``len``, indexing, iteration).
    """

    __slots__ = ("items",)

    def __init__(self, items: Iterable[T]) -> None:
        self.items: tuple[T, ...] = tuple(items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def _title(self) -> str:
        kind = type(self.items[0]).__name__ if self.items else ""
        return f"Table[{kind}]" if kind else "Table"

    def _summary(self) -> str:
        return _display.counted(len(self.items), "item")

    def __repr__(self) -> str:
        return _display.collection_repr(self._title(), self._summary(), self.items, _mention)

    def _repr_pretty_(self, printer: _display.Printer, cycle: bool) -> None:  # noqa: ARG002, FBT001
        """Show the count and the first items, one a line, in IPython."""
        text = _display.collection_pretty(self._title(), self._summary(), self.items, _mention)
        printer.text(text)

    def __rich_repr__(self) -> Iterator[object]:
        """Give rich the first few items and the count."""
        return _display.collection_rich(self.items, {"items": len(self.items)}, _mention)

    def _repr_html_(self) -> str:
        """Show the items as an HTML table (at most 20 rows, then how many more)."""
        return _display.html_table(
            [_row(item) for item in self.items[: _display.HTML_ROWS]],
            more=len(self.items) - _display.HTML_ROWS,
            caption=f"{self._title()}: {self._summary()}",
        )


def table(items: Iterable[T]) -> Table[T]:
    """Return ``items`` (models, such as a list of projects) to display as a table.

    A notebook shows it as an HTML table with the API's columns, at most 20 rows and then how
    many more; a :class:`~aiodo_projects.Page` displays so by itself::

        projects = [p async for p in client.projects.iter_all()]
        aiodo_projects.table(projects)
    """
    return Table(items)
