"""The data DigitalOcean returns, as frozen, slotted attrs classes whose fields are its JSON keys.

Models hold data only: no I/O, no token, no reference to the client. Decoding lives in the
private converter (``aiodo_projects._convert``), never here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, TypeVar, cast

import attrs

from aiodo_projects import _display
from aiodo_projects.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import TypeAlias

__all__ = [
    "Environment",
    "Page",
    "PageLinks",
    "Project",
    "Resource",
    "ResourceLinks",
    "ResourceStatus",
]

T = TypeVar("T")
DumpMode: TypeAlias = Literal["json", "python"]


class Environment(StrEnum):
    """The environment of a project's resources."""

    DEVELOPMENT = "Development"
    STAGING = "Staging"
    PRODUCTION = "Production"


class ResourceStatus(StrEnum):
    """Whether a resource was retrieved or assigned without trouble."""

    OK = "ok"
    NOT_FOUND = "not_found"
    ASSIGNED = "assigned"
    ALREADY_ASSIGNED = "already_assigned"
    SERVICE_DOWN = "service_down"


if TYPE_CHECKING:
    _OpenEnvironment: TypeAlias = Environment | str
else:
    # The converter decodes projects straight into Project with msgspec, which reads its
    # annotations and refuses a union of an enum and ``str``. At run time the field is an
    # Environment to it; a page naming an environment this release does not know is decoded
    # again with the field as a plain ``str`` (see the converter).
    _OpenEnvironment = Environment


class _Model:
    """What every model shares: ``to_dict`` in the API's order, and the displays built on it.

    ``_api_keys`` is the one place that gives a model's JSON keys in the API's order: the
    dict, the repr, the pretty-printers, the HTML table and the data frames all follow it.
    """

    __slots__ = ()
    _api_keys: ClassVar[tuple[str, ...]]
    _brief_keys: ClassVar[tuple[str, ...]]  # what a mention inside a page or a list shows
    _repr_omits: ClassVar[tuple[str, ...]] = ()  # fields the one-line repr leaves out

    def to_dict(self, *, mode: DumpMode = "json") -> dict[str, object]:
        """Return the model as a dict with the API's keys, in the API's order.

        ``mode="json"`` (the default) gives the JSON shape DigitalOcean sends, datetimes as
        ISO 8601 strings (``2024-01-02T03:04:05Z``); ``mode="python"`` gives aware UTC
        :class:`~datetime.datetime` values instead. In both, enums are their plain ``str``
        values and nested links plain dicts, as with pydantic's ``model_dump(mode=...)``.
        """
        if mode not in ("json", "python"):
            raise ValidationError(f"mode must be 'json' or 'python', not {mode!r}")
        return {
            key: _dumped(getattr(self, "self_" if key == "self" else key), mode)
            for key in self._api_keys
        }

    def _changed(self) -> dict[str, object]:
        """Return the fields the one-line repr shows: those not at their default, in order."""
        defaults = {
            "self" if a.name == "self_" else a.name: _dumped(a.default, "python")
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
        }
        return {
            key: value
            for key, value in self.to_dict(mode="python").items()
            if key not in self._repr_omits and defaults.get(key, attrs.NOTHING) != value
        }

    def _brief(self) -> str:
        fields = self.to_dict(mode="python")
        return _display.brief_repr(type(self).__name__, {k: fields[k] for k in self._brief_keys})

    def __repr__(self) -> str:
        return _display.fields_repr(type(self).__name__, self._changed())

    def _repr_pretty_(self, printer: _display.Printer, cycle: bool) -> None:  # noqa: ARG002, FBT001
        """Show every field, one a line, in IPython."""
        printer.text(_display.fields_pretty(type(self).__name__, self.to_dict(mode="python")))

    def __rich_repr__(self) -> Iterator[tuple[str, object]]:
        """Give rich every field in the API's order, datetimes in ISO 8601."""
        return _display.fields_rich(self.to_dict(mode="python"))

    def _repr_html_(self) -> str:
        """Show the model as a one-row HTML table in a notebook."""
        return _display.html_table([self.to_dict(mode="python")], more=0)


@attrs.frozen(repr=False)
class Project(_Model):
    """A DigitalOcean project.

    ``environment`` is an :class:`Environment`, a plain ``str`` for a value DigitalOcean added
    after this release, or ``None`` when the project has none. Datetimes are aware, in UTC.
    The repr shows the fields not at their default, except the owner's (the same on every
    project of an account); IPython and rich show every field.
    """

    id: str
    name: str
    owner_uuid: str = ""
    owner_id: int = 0
    description: str = ""
    purpose: str = ""
    environment: _OpenEnvironment | None = None
    is_default: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _api_keys = (
        "id", "owner_uuid", "owner_id", "name", "description", "purpose", "environment",
        "is_default", "created_at", "updated_at",
    )  # fmt: skip
    _brief_keys = ("name", "environment")
    # The same on every project a token lists: the one-line repr leaves them to the others.
    _repr_omits = ("owner_uuid", "owner_id")


@attrs.frozen(repr=False)
class ResourceLinks(_Model):
    """A resource's links; ``self_`` is the JSON ``self`` key (a URL to fetch the resource)."""

    self_: str | None = None

    _api_keys = ("self",)
    _brief_keys = ("self",)


@attrs.frozen(repr=False)
class Resource(_Model):
    """A resource assigned to a project, named by its URN (``do:<type>:<id>``).

    ``status`` is a :class:`ResourceStatus`, or a plain ``str`` for a value added later.
    """

    urn: str
    assigned_at: datetime | None = None
    links: ResourceLinks = ResourceLinks()
    status: ResourceStatus | str | None = None

    @property
    def type(self) -> str:
        """The resource type from the URN, such as ``droplet``."""
        return self.urn.split(":", 2)[1] if self.urn.count(":") >= 2 else ""  # noqa: PLR2004

    _api_keys = ("urn", "assigned_at", "links", "status")
    _brief_keys = ("urn", "status")


@attrs.frozen(repr=False)
class PageLinks(_Model):
    """The absolute page links of a listing; a key DigitalOcean left out is ``None``."""

    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None

    _api_keys = ("first", "prev", "next", "last")
    _brief_keys = ("next",)


class _Items(Generic[T]):
    """What a page and a table share: their items, and how those display.

    The repr and IPython show the title, a summary (:meth:`_summary`) and the first few
    items; a notebook shows an HTML table of at most 20 rows.
    """

    __slots__ = ()
    items: tuple[T, ...]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return _display.collection_repr(self._title(), self._summary(), self.items, _mention)

    def _repr_pretty_(self, printer: _display.Printer, cycle: bool) -> None:  # noqa: ARG002, FBT001
        """Show the summary and the first items, one a line, in IPython."""
        text = _display.collection_pretty(self._title(), self._summary(), self.items, _mention)
        printer.text(text)

    def _repr_html_(self) -> str:
        """Show the items as an HTML table in a notebook (at most 20 rows, then how many more)."""
        return _display.html_table(
            [_row(item) for item in self.items[: _display.HTML_ROWS]],
            more=len(self.items) - _display.HTML_ROWS,
            caption=f"{self._title()}: {self._summary()}",
        )

    def _summary(self) -> str:
        raise NotImplementedError

    def _title(self) -> str:
        # The type parameter is gone at run time: the first item tells what is held.
        kind = type(self.items[0]).__name__ if self.items else ""
        return f"{type(self).__name__}[{kind}]" if kind else type(self).__name__


@attrs.frozen(repr=False)
class Page(_Items[T]):
    """One page of a listing: its ``items``, ``meta.total`` and the page ``links``.

    Its repr names the page (when the links tell), the item count and the total, and the
    first few items; in a notebook it shows as an HTML table of at most 20 rows.
    """

    items: tuple[T, ...]
    total: int
    links: PageLinks = PageLinks()

    def __rich_repr__(self) -> Iterator[object]:
        """Give rich the first few items, then where the page stands."""
        number, pages = self._place()
        place = {"page": number, "pages": pages, "items": len(self.items), "total": self.total}
        return _display.collection_rich(self.items, place, _mention)

    def _place(self) -> tuple[int | None, int | None]:
        links = self.links.to_dict()
        return _display.page_place(len(self.items), self.total, links)  # type: ignore[arg-type]

    def _summary(self) -> str:
        return _display.page_summary(len(self.items), self.total, *self._place())


def _mention(item: object) -> str:
    """Mention one item of a page or a list briefly: a model by its brief fields."""
    if isinstance(item, _Model):
        return item._brief()  # noqa: SLF001 -- a model's own display, from its module
    return _display.short(repr(item))


def _row(item: object) -> dict[str, object]:
    """One row of a table: a model's fields in the API's order, anything else as it is."""
    return item.to_dict(mode="python") if isinstance(item, _Model) else {"value": item}


def _dumped(value: object, mode: DumpMode) -> object:
    if isinstance(value, datetime):
        return value if mode == "python" else value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        return str(value)  # an enum member becomes its plain value
    if isinstance(value, _Model):
        return value.to_dict(mode=mode)
    return value
