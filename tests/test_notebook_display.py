"""Notebook displays: HTML tables, IPython's and rich's pretty-printing, with neither imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import attrs
from rich.pretty import pretty_repr

import aiodo_projects as do
from tests.test_reprs import LINK, PROJECT, T0


class RecordingPrinter:
    """IPython's RepresentationPrinter as far as the hooks use it: ``text``."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def text(self, obj: str) -> None:
        self.written.append(obj)


def _projects(count: int) -> tuple[do.Project, ...]:
    return tuple(attrs.evolve(PROJECT, name=f"p{n}") for n in range(count))


def test_page_html_is_an_escaped_table_capped_at_twenty_rows() -> None:
    hostile = attrs.evolve(PROJECT, name="<script>alert(1)</script>", description="a & b")
    page = do.Page(
        items=(hostile, *_projects(49)), total=120, links=do.PageLinks(next=LINK.format(2))
    )
    html = page._repr_html_()
    assert html.startswith("<table><caption>Page[Project]: page 1, 50 of 120 items</caption>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html
    header = "".join(f"<th>{key}</th>" for key in PROJECT.to_dict())
    assert f"<thead><tr>{header}</tr></thead>" in html
    assert html.count("<tr>") == 1 + 20 + 1
    assert '<td colspan="10">... and 30 more</td>' in html
    assert "<td>2024-01-02T03:04:05Z</td>" in html
    assert "<td>Production</td>" in html


def test_table_html_of_resources_flattens_links_and_empties_none() -> None:
    resources = [
        do.Resource("do:droplet:1", T0, do.ResourceLinks("https://x/1"), do.ResourceStatus.OK),
        do.Resource("do:volume:2"),
    ]
    html = do.table(resources)._repr_html_()
    assert "<caption>Table[Resource]: 2 items</caption>" in html
    assert (
        "<tr><td>do:droplet:1</td><td>2024-01-02T03:04:05Z</td><td>https://x/1</td><td>ok</td></tr>"
        in html
    )
    assert "<tr><td>do:volume:2</td><td></td><td></td><td></td></tr>" in html
    assert "more" not in html


def test_model_and_empty_html() -> None:
    assert PROJECT._repr_html_().count("<tr>") == 2
    assert do.table([])._repr_html_() == (
        "<table><caption>Table: 0 items</caption><thead><tr></tr></thead><tbody></tbody></table>"
    )
    odd = do.Page(items=("<b>",), total=1)._repr_html_()
    assert "<th>value</th>" in odd
    assert "<td>&lt;b&gt;</td>" in odd


def test_ipython_pretty_shows_every_field_of_a_model() -> None:
    printer = RecordingPrinter()
    PROJECT._repr_pretty_(printer, cycle=False)
    (text,) = printer.written
    lines = text.splitlines()
    assert lines[0] == "Project("
    assert lines[1:] == [f"    {key}={value}," for key, value in [
        ("id", repr(PROJECT.id)), ("owner_uuid", repr(PROJECT.owner_uuid)),
        ("owner_id", "4242424"), ("name", "'web'"), ("description", "'The shop'"),
        ("purpose", "'Web Application'"), ("environment", "'Production'"),
        ("is_default", "False"), ("created_at", "2024-01-02T03:04:05Z"),
        ("updated_at", "2024-01-02T03:04:05Z"),
    ]] + [")"]  # fmt: skip


def test_ipython_pretty_lists_the_first_ten_items_of_a_page_or_table() -> None:
    page = do.Page(items=_projects(25), total=25)
    for shown in (page, do.table(page)):
        printer = RecordingPrinter()
        shown._repr_pretty_(printer, cycle=False)
        lines = printer.written[0].splitlines()
        assert len(lines) == 12
        assert lines[1] == "  Project(name='p0', environment='Production', ...)"
        assert lines[-1] == "  ... and 15 more"
    printer = RecordingPrinter()
    page._repr_pretty_(printer, cycle=False)
    assert printer.written[0].startswith("Page[Project](page 1 of 1, 25 of 25 items)\n")


def test_rich_shows_fields_in_api_order_and_pages_briefly() -> None:
    text = pretty_repr(PROJECT, max_width=400)
    assert text.startswith(f"Project(id='{PROJECT.id}', owner_uuid=")
    assert "created_at=2024-01-02T03:04:05Z, updated_at=2024-01-02T03:04:05Z)" in text
    page = do.Page(items=_projects(5), total=30, links=do.PageLinks(next=LINK.format(2)))
    assert pretty_repr(page, max_width=500) == (
        "Page(Project(name='p0', environment='Production', ...), "
        "Project(name='p1', environment='Production', ...), "
        "Project(name='p2', environment='Production', ...), more=2, page=1, items=5, total=30)"
    )
    assert pretty_repr(do.table(_projects(1)), max_width=200) == (
        "Table(Project(name='p0', environment='Production', ...), items=1)"
    )


def test_importing_and_displaying_imports_neither_ipython_nor_rich() -> None:
    script = textwrap.dedent(
        """
        import sys
        import aiodo_projects as do
        from aiodo_projects import frames
        class Printer:
            def text(self, obj):
                pass
        page = do.Page(items=(do.Project(id="a", name="b"),), total=1)
        for shown in (page, do.table(page), page.items[0]):
            repr(shown)
            shown._repr_html_()
            shown._repr_pretty_(Printer(), cycle=False)
            list(shown.__rich_repr__())
        loaded = {"IPython", "rich", "pandas", "polars"} & {m.split(".")[0] for m in sys.modules}
        print(sorted(loaded))
        """
    )
    done = subprocess.run(  # noqa: S603 -- this interpreter, a script of our own
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_ipython_pretty_of_a_short_list_has_no_more_line() -> None:
    printer = RecordingPrinter()
    do.table(_projects(2))._repr_pretty_(printer, cycle=False)
    assert printer.written[0].splitlines() == [
        "Table[Project](2 items)",
        "  Project(name='p0', environment='Production', ...)",
        "  Project(name='p1', environment='Production', ...)",
    ]
