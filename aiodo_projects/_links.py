"""Page links: where they may send the token, which page they name, page N of a listing (pure)."""

from __future__ import annotations

from yarl import URL

from aiodo_projects.errors import DecodeError

__all__ = ["PageUrls", "page_key", "page_number", "rebase_link"]

_SNIPPET = 120


def rebase_link(link: str, base: URL) -> URL:
    """Send a page link's path and query to ``base``'s origin, never to the link's own host.

    DigitalOcean's links are absolute and a hostile or proxied body could name any host; the
    token must only ever go to ``base``'s origin (DESIGN §4). The query is kept as it was
    encoded.
    """
    try:
        parsed = URL(link)
    except (TypeError, ValueError) as exc:
        raise DecodeError("a page link is not a URL", snippet=link[:_SNIPPET]) from exc
    if not parsed.path.startswith("/"):
        raise DecodeError("a page link has no absolute path", snippet=link[:_SNIPPET])
    return URL.build(
        scheme=base.scheme,
        host=base.raw_host or "",
        port=base.explicit_port,
        path=parsed.raw_path,
        query_string=parsed.raw_query_string,
        encoded=True,
    )


def page_number(url: URL) -> int | None:
    """Return the ``page`` a URL asks for (1 when it names none), or ``None`` if unreadable."""
    raw = url.query.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) >= 1 else None


def page_key(url: URL) -> tuple[str, int | None, tuple[tuple[str, str], ...]]:
    """Identify the page a URL names: ``?per_page=5`` and ``?page=1&per_page=5`` are one page."""
    rest = tuple(sorted((k, v) for k, v in url.query.items() if k != "page"))
    return url.raw_path, page_number(url), rest


class PageUrls:
    """Page ``n`` of a listing, from a template URL naming some page: only ``page=`` changes.

    The rest of the query stays exactly as the server encoded it, and the string around the
    page number is split once, so each URL costs one concatenation.
    """

    def __init__(self, template: URL) -> None:
        parts = template.raw_query_string.split("&")
        # The caller made sure the template names a page (page_number() read it).
        index = [part.startswith("page=") for part in parts].index(True)
        origin = str(template.with_query(None).with_fragment(None))
        before = "&".join(parts[:index])
        after = "&".join(parts[index + 1 :])
        self._prefix = f"{origin}?{before}{'&' if before else ''}page="
        self._suffix = f"&{after}" if after else ""

    def __call__(self, number: int) -> URL:
        return URL(f"{self._prefix}{number}{self._suffix}", encoded=True)
