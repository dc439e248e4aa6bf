"""The pages of one listing: the URL of page N, and what a fetched page says comes next (pure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from yarl import URL

from aiodo_projects.errors import DecodeError

if TYPE_CHECKING:
    from aiodo_projects.models import Page

__all__ = ["ListingPages", "PageUrls"]

_SNIPPET = 120
_MAX_DIGITS = 18  # far past any real listing, and short of int()'s limit on digit strings
# DigitalOcean's page links for the default project's resources name the project by its id
# (the OpenAPI example for /v2/projects/default/resources links to /v2/projects/<uuid>/...).
_PROJECT_ID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


class PageUrls:
    """Page ``n`` of a listing, from a template URL naming some page: only ``page=`` changes.

    The rest of the query stays exactly as encoded, and the string around the page number is
    split once, so each URL costs one concatenation.
    """

    def __init__(self, template: URL) -> None:
        parts = template.raw_query_string.split("&")
        index = [part.startswith("page=") for part in parts].index(True)
        origin = str(template.with_query(None).with_fragment(None))
        before = "&".join(parts[:index])
        after = "&".join(parts[index + 1 :])
        self._prefix = f"{origin}?{before}{'&' if before else ''}page="
        self._suffix = f"&{after}" if after else ""

    def __call__(self, number: int) -> URL:
        return URL(self.text(number), encoded=True)

    def text(self, number: int) -> str:
        """Return the URL of page ``number`` as a string, as encoded."""
        return f"{self._prefix}{number}{self._suffix}"


def _page_number(values: list[str]) -> int | None:
    if len(values) != 1:
        return None
    raw = values[0]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= _MAX_DIGITS):
        return None
    return int(raw)


class ListingPages:
    """Where one walk of a listing goes, page after page, and the rules each page must follow.

    Every page is requested from the first page's URL with only ``page=`` changed: on
    ``base``'s origin and under its path, with the same ``per_page`` and query each time,
    whatever the links repeat or leave out. So the token never follows a link elsewhere, and
    the server's default page size never replaces the one asked for halfway through.

    A page's ``next`` link only says that another page follows. It is trusted when it names
    this listing's collection path (with or without ``base``'s path prefix, since a proxy may
    or may not rewrite it; a ``default`` segment may be named by a project id instead) and
    exactly the page after: a link to another path, one that
    repeats, skips or names no page, is a :class:`DecodeError`, and so is a page whose size
    breaks the offsets (an empty page that links on, a page shorter or longer than the first).
    Pages must be given to :meth:`after` in order, one walk per instance.
    """

    def __init__(self, first: URL, base: URL) -> None:
        number = _page_number(first.query.getall("page", []))
        if number is None or number < 1:
            msg = f"the first page URL must name a page number, not {first.query_string!r}"
            raise ValueError(msg)
        self.first = number
        self._urls = PageUrls(first)
        path = first.raw_path
        self._paths = {path}
        prefix = base.raw_path.rstrip("/")
        if prefix and path.startswith(f"{prefix}/"):
            self._paths.add(path[len(prefix) :])
        self._size: int | None = None

    def url(self, number: int) -> URL:
        """Return the URL of page ``number``."""
        return self._urls(number)

    def planned_last(self, total: int) -> int:
        """Return the last page ``meta.total`` implies, once the page size is known (else 0).

        Only a hint for fetching ahead: the walk ends where the pages say, not here.
        """
        return -(-total // self._size) if self._size else 0

    def after(self, number: int, page: Page[Any]) -> int | None:
        """Return the number of the page after page ``number``, or ``None`` if it was the last.

        Raise :class:`DecodeError` when the listing cannot be walked on safely.
        """
        count = len(page.items)
        if self._size is not None and count > self._size:
            msg = f"page {number} has {count} items, more than the {self._size} of page 1"
            raise DecodeError(msg)
        link = page.links.next
        if link is None:
            return None
        if count == 0:
            raise DecodeError(f"page {number} is empty but links to a next page", snippet=link)
        if self._size is None:
            self._size = count
        elif count != self._size:
            msg = f"page {number} has {count} items but links on; page 1 had {self._size}"
            raise DecodeError(msg, snippet=link[:_SNIPPET])
        # A link that is exactly the URL this walk asks for next names that page: only any
        # other link is parsed and checked.
        following = number + 1 if link == self._urls.text(number + 1) else self._link_number(link)
        if following <= number:
            msg = f"the next page link of page {number} repeats page {following}"
            raise DecodeError(msg, snippet=link[:_SNIPPET])
        if following != number + 1:
            msg = f"the next page link of page {number} skips to page {following}"
            raise DecodeError(msg, snippet=link[:_SNIPPET])
        return following

    def _in_collection(self, raw_path: str) -> bool:
        if raw_path in self._paths:
            return True
        theirs = raw_path.split("/")
        return any(
            len(ours) == len(theirs)
            and all(
                a == b or (a == "default" and _PROJECT_ID.fullmatch(b) is not None)
                for a, b in zip(ours, theirs, strict=True)
            )
            for ours in (path.split("/") for path in self._paths)
        )

    def _link_number(self, link: str) -> int:
        snippet = link[:_SNIPPET]
        try:
            url = URL(link)
        except (TypeError, ValueError) as exc:
            raise DecodeError("a page link is not a URL", snippet=snippet) from exc
        if not self._in_collection(url.raw_path):
            raise DecodeError("a page link leads out of the listing's collection", snippet=snippet)
        number = _page_number(url.query.getall("page", []))
        if number is None:
            raise DecodeError("a page link names no page number", snippet=snippet)
        return number
