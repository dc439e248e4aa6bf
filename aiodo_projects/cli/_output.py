"""What a command shows, and the four ways of showing it: rich, plain text, JSON and CSV.

Every command returns an :class:`Output`; nothing is written until it is fully rendered to
one string, so an interrupted or failed command never leaves half a table or half a JSON
document behind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TextIO, TypeVar

import attrs

from aiodo_projects.cli._columns import Column, choose_columns
from aiodo_projects.cli._visible import json_visible, visible, visible_lines

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

__all__ = [
    "Output",
    "RenderOptions",
    "Table",
    "cell",
    "column_style",
    "encodable",
    "plain_table",
    "render",
    "rich_available",
]

T = TypeVar("T")


@attrs.frozen
class RenderOptions:
    """The global output options: ``--output``, ``--format``, ``--no-header``."""

    output: str = "table"
    format: str | None = None
    header: bool = True


class Output(Protocol):
    """Something a command produced, renderable in every output format."""

    def as_json(self) -> object:
        """Return the JSON value (the API's field names)."""

    def as_csv(self, options: RenderOptions) -> list[list[str]]:
        """Return the CSV rows, the header row first."""

    def as_plain(self, options: RenderOptions) -> str:
        """Return plain text for a pipe or a file."""

    def as_rich(self, options: RenderOptions) -> list[RenderableType]:
        """Return rich renderables for a terminal."""


@attrs.frozen
class Table(Generic[T]):
    """Rows of one kind (projects, resources...), or one record when ``single``."""

    columns: Sequence[Column[T]]
    items: Sequence[T]
    to_json: Callable[[T], object]
    default: Sequence[str] | None = None  # the columns a table shows without --format
    single: bool = False  # one object: a JSON object, a field/value table on screens
    caption: str | None = None  # shown under a table on a terminal only

    def _columns(self, options: RenderOptions, *, table: bool) -> list[Column[T]]:
        default = self.default if table and not self.single else None
        return choose_columns(self.columns, options.format, default)

    def as_json(self) -> object:
        """Return a JSON object for one record, otherwise an array."""
        values = [self.to_json(item) for item in self.items]
        return values[0] if self.single and values else values

    def as_csv(self, options: RenderOptions) -> list[list[str]]:
        """Return a header of API field names, then one row per item."""
        columns = self._columns(options, table=False)
        rows = [[column.raw(item) for column in columns] for item in self.items]
        return [[column.field for column in columns], *rows]

    def _cells(self, options: RenderOptions) -> tuple[list[str], list[list[str]]]:
        columns = self._columns(options, table=True)
        if self.single:
            item = self.items[0]
            return ["Field", "Value"], [[c.header, c.text(item)] for c in columns]
        headers = [column.header for column in columns]
        return headers, [[column.text(item) for column in columns] for item in self.items]

    def as_plain(self, options: RenderOptions) -> str:
        """Return aligned columns, like doctl's text output."""
        headers, rows = self._cells(options)
        show_header = options.header and not self.single
        return plain_table(headers if show_header else None, rows)

    def as_rich(self, options: RenderOptions) -> list[RenderableType]:
        """Return one rich table."""
        from rich.table import Table as RichTable  # noqa: PLC0415 - rich is optional

        headers, rows = self._cells(options)
        table = RichTable(
            show_header=options.header and not self.single,
            caption=self.caption,
            header_style="bold cyan",
            highlight=False,
        )
        for index, header in enumerate(headers):
            bold = self.single and index == 0
            table.add_column(header, style="bold" if bold else None, **column_style(header))
        for row in rows:
            table.add_row(*(cell(text) for text in row))
        return [table]


def column_style(header: str) -> dict[str, Any]:
    """Return rich column options: IDs whole on one line, other text folded, never cut."""
    if header == "ID":
        return {"no_wrap": True, "min_width": 36}
    return {"overflow": "fold"}


def cell(text: str) -> Text:
    """Return a rich table cell showing ``text`` (from the API) :func:`visible` and unstyled."""
    from rich.text import Text  # noqa: PLC0415 - rich is optional

    return Text(visible(text))


def plain_table(
    headers: Sequence[str] | None, rows: Sequence[Sequence[str]], right: Sequence[int] = ()
) -> str:
    """Return rows as columns two spaces apart, a header row first if given.

    Columns are left-aligned, except those whose index is in ``right`` (numbers).
    """
    lines = [[visible(text) for text in row] for row in ([headers] if headers else []) + list(rows)]
    if not lines:
        return ""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]

    def cell(index: int, text: str) -> str:
        width = widths[index]
        return text.rjust(width) if index in right else text.ljust(width)

    return "".join(
        "  ".join(cell(index, text) for index, text in enumerate(line)).rstrip() + "\n"
        for line in lines
    )


def rich_available() -> bool:
    """Whether rich (the ``cli`` extra) is installed."""
    try:
        import rich  # noqa: F401, PLC0415 - only probing
    except ImportError:
        return False
    return True


def render(result: Output, options: RenderOptions, stream: TextIO) -> str:
    r"""Render ``result`` completely, for ``stream`` (rich only when it is a terminal).

    Tables show every value :func:`visible`. JSON keeps the data exact, with the characters
    that are not printable as ``\u`` escapes. CSV keeps the data exact too (a file for
    programs), except on a terminal, where its values are shown :func:`visible` like tables
    (only their line breaks are kept, quoted as CSV quotes them).
    """
    if options.output == "json":
        return json_visible(result.as_json()) + "\n"
    if options.output == "csv":
        rows = result.as_csv(options)
        if stream.isatty():
            rows = [[visible_lines(value) for value in row] for row in rows]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows if options.header else rows[1:])
        return buffer.getvalue()
    if stream.isatty() and rich_available():
        return _render_rich(result, options, stream)
    return result.as_plain(options)


def encodable(text: str, stream: TextIO) -> str:
    """Return ``text`` with what ``stream``'s encoding cannot write as backslash escapes.

    That is a lone surrogate in CSV bound for a file (UTF-8 has no encoding for one), or any
    character a non-UTF-8 locale lacks: the rest of the output is written, not lost to an error.
    """
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # an encoding Python does not know: leave it to the stream
        pass
    return text


def _render_rich(result: Output, options: RenderOptions, stream: TextIO) -> str:
    from rich.console import Console  # noqa: PLC0415 - rich is optional

    # Data is never markup: a project named "[red]x" or ":droplet:" prints as written.
    console = Console(file=stream, highlight=False, markup=False, emoji=False)
    with console.capture() as capture:
        for renderable in result.as_rich(options):
            console.print(renderable)
    return capture.get()
