"""Text and HTML for people: reprs, IPython and rich pretty-printing, notebook tables (pure).

Everything here formats plain data (names, ordered dicts of field values, item lists) and
knows nothing of the models, so that one set of rules serves every object: datetimes read as
ISO 8601 (``2024-01-02T03:04:05Z``), long text is cut with ``…``, a collection shows a few
items and how many more there are. Neither IPython nor rich is imported: both find these
hooks by name (``_repr_pretty_``, ``__rich_repr__``, ``_repr_html_``) on objects they print.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

__all__ = [
    "HTML_ROWS",
    "Printer",
    "brief_repr",
    "collection_pretty",
    "collection_repr",
    "collection_rich",
    "counted",
    "fields_pretty",
    "fields_repr",
    "fields_rich",
    "html_table",
    "page_place",
    "page_summary",
    "short",
]

HTML_ROWS: Final = 20  # rows of an HTML table before "... and N more"
_REPR_ITEMS: Final = 3  # items a one-line repr of a collection mentions
_PRETTY_ITEMS: Final = 10  # items IPython's pretty-printer lists, one a line
_TEXT_LIMIT: Final = 40  # characters of one string value in a one-line repr


class Printer(Protocol):
    """The part of IPython's ``RepresentationPrinter`` the ``_repr_pretty_`` hooks use."""

    def text(self, obj: str) -> None:
        """Write ``obj`` as it is."""


class _Verbatim:
    """A value whose repr is the given text: rich shows a datetime as ISO 8601, unquoted."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def counted(number: int, noun: str) -> str:
    """Return ``1 page``, ``2 pages``, ``1,234 items``: a number and its noun."""
    return f"{number:,} {noun}{'s' * (number != 1)}"


def short(text: str, limit: int = _TEXT_LIMIT) -> str:
    """Return ``text`` cut to ``limit`` characters, the last one ``…`` when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value_text(value: object, limit: int | None) -> str:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, str):
        return repr(value if limit is None else short(value, limit))
    if isinstance(value, dict):
        inner = ", ".join(f"{key!r}: {_value_text(v, limit)}" for key, v in value.items())
        return f"{{{inner}}}"
    return repr(value)


def fields_repr(name: str, fields: Mapping[str, object]) -> str:
    """Return ``Name(key=value, ...)`` on one line, long strings cut."""
    shown = ", ".join(f"{key}={_value_text(value, _TEXT_LIMIT)}" for key, value in fields.items())
    return f"{name}({shown})"


def brief_repr(name: str, fields: Mapping[str, object]) -> str:
    """Return ``Name(key=value, ...)`` for a mention that leaves the other fields out."""
    shown = "".join(f"{key}={_value_text(value, _TEXT_LIMIT)}, " for key, value in fields.items())
    return f"{name}({shown}...)"


def fields_pretty(name: str, fields: Mapping[str, object]) -> str:
    """Return every field, whole, one a line, as IPython shows a long call."""
    lines = "".join(f"\n    {key}={_value_text(value, None)}," for key, value in fields.items())
    return f"{name}({lines}\n)"


def fields_rich(fields: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    """Yield ``(key, value)`` for rich, datetimes as ISO 8601."""
    for key, value in fields.items():
        yield key, _Verbatim(_iso(value)) if isinstance(value, datetime) else value


def _page_of(link: str | None) -> int | None:
    if link is None:
        return None
    values = parse_qs(urlsplit(link).query).get("page", [])
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
        return None
    return int(values[0])


def page_place(
    count: int, total: int, links: Mapping[str, str | None]
) -> tuple[int | None, int | None]:
    """Return ``(this page's number, how many pages)`` as far as the links tell, else ``None``."""
    before, after = _page_of(links.get("prev")), _page_of(links.get("next"))
    if before is not None:
        number: int | None = before + 1
    elif after is not None:
        number = max(after - 1, 1)
    elif not any(links.values()) and count >= total:
        number = 1  # DigitalOcean sends no links at all for a listing of one page
    else:
        number = None
    pages = _page_of(links.get("last"))
    if pages is None and links.get("next") is None and number is not None:
        pages = number  # no next page: this is the last one
    return number, pages


def page_summary(count: int, total: int, number: int | None, pages: int | None) -> str:
    """Return e.g. ``page 2 of 7, 200 of 1,234 items`` (the parts that are known)."""
    where = "" if number is None else f"page {number:,}"
    if where and pages is not None:
        where += f" of {pages:,}"
    items = f"{count:,} of {counted(total, 'item')}"
    return f"{where}, {items}" if where else items


def collection_repr(
    title: str, summary: str, items: Sequence[object], mention: Callable[[object], str]
) -> str:
    """Return ``Title(summary: first, second, third, ... and N more)`` on one line."""
    if not items:
        return f"{title}({summary})"
    shown = ", ".join(mention(item) for item in items[:_REPR_ITEMS])
    more = len(items) - _REPR_ITEMS
    return f"{title}({summary}: {shown}{f', ... and {more:,} more' if more > 0 else ''})"


def collection_pretty(
    title: str, summary: str, items: Sequence[object], mention: Callable[[object], str]
) -> str:
    """Return the summary, then the first items one a line, as IPython shows a collection."""
    lines = [f"{title}({summary})"]
    lines.extend(f"  {mention(item)}" for item in items[:_PRETTY_ITEMS])
    if len(items) > _PRETTY_ITEMS:
        lines.append(f"  ... and {len(items) - _PRETTY_ITEMS:,} more")
    return "\n".join(lines)


def collection_rich(
    items: Sequence[object], place: Mapping[str, object], mention: Callable[[object], str]
) -> Iterator[object]:
    """Yield mentions of the first few items for rich, then ``(key, value)`` pairs for the rest."""
    for item in items[:_REPR_ITEMS]:
        yield _Verbatim(mention(item))
    if len(items) > _REPR_ITEMS:
        yield "more", len(items) - _REPR_ITEMS
    for key, value in place.items():
        if value is not None:
            yield key, value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        return ", ".join(_cell(v) for v in value.values() if v is not None)
    return str(value)


def html_table(rows: Sequence[Mapping[str, object]], more: int, caption: str = "") -> str:
    """Return an HTML table of ``rows`` (columns from the first), every text escaped.

    ``more`` is how many rows were left out; a last row says so.
    """
    columns = list(rows[0]) if rows else []
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>")
    parts.extend(f"<th>{html.escape(column)}</th>" for column in columns)
    parts.append("</tr></thead><tbody>")
    for row in rows:
        cells = (html.escape(_cell(row.get(column))) for column in columns)
        parts.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    if more > 0:
        span = max(len(columns), 1)
        parts.append(f'<tr><td colspan="{span}">... and {more:,} more</td></tr>')
    parts.append("</tbody></table>")
    return "".join(parts)
