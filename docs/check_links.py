"""Check that every internal link of the built site leads somewhere.

``python docs/check_links.py docs/_build/html`` reads every HTML file under the directory and
checks each ``href`` and ``src`` that is not an absolute URL: the file it names must exist, and
a ``#fragment`` must be an ``id`` (or an ``<a name>``) in that file. External links are not
followed: CI has no network, and Sphinx's own warnings already check ``:ref:``, ``:doc:`` and
the toctrees; this catches the raw relative links they do not see. Exits 1, listing each broken
link, if any is found.
"""

# ruff: noqa: INP001 -- a script run by nox, not part of a package

from __future__ import annotations

import html.parser
import pathlib
import sys
import urllib.parse


class _Page(html.parser.HTMLParser):
    """The links and the anchors of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value)
            elif name in {"href", "src"}:
                self.links.append(value)


def _read(path: pathlib.Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(root: pathlib.Path) -> list[str]:
    """Every internal link under ``root`` that names a missing file or anchor."""
    root = root.resolve()
    pages = {path: _read(path) for path in sorted(root.rglob("*.html"))}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or parts.netloc:  # http:, https:, mailto:, data:, //host
                continue
            target = path
            if parts.path:
                target = (path.parent / urllib.parse.unquote(parts.path)).resolve()
                if target.is_dir():
                    target /= "index.html"
            where = f"{path.relative_to(root)}: {link}"
            if not target.is_file() or root not in (target, *target.parents):
                broken.append(f"{where} (no such file)")
                continue
            fragment = urllib.parse.unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else _read(target).anchors
                if fragment not in anchors:
                    broken.append(f"{where} (no such anchor)")
    return broken


def main(argv: list[str]) -> int:
    """Check the site built in ``argv[0]``; print what is broken."""
    if len(argv) != 1:
        print("usage: check_links.py BUILT_HTML_DIRECTORY", file=sys.stderr)  # noqa: T201
        return 2
    root = pathlib.Path(argv[0])
    if not any(root.rglob("*.html")):
        print(f"no HTML files under {root}", file=sys.stderr)  # noqa: T201
        return 2
    broken = broken_links(root)
    for line in broken:
        print(line, file=sys.stderr)  # noqa: T201
    pages = sum(1 for _ in root.rglob("*.html"))
    print(f"{pages} pages, {len(broken)} broken internal links")  # noqa: T201
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
