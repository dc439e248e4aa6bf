"""Run the documentation's code against the fake API, and check that its commands parse.

Every ``.rst`` file under ``docs/`` (a guide added later included) and ``README.rst`` is read
with docutils. Its ``.. code-block:: python`` blocks run in order as one async program: one
namespace and one event loop for the file, top-level ``await`` allowed, as in a notebook. The
examples are written to use the embedded fake, so no token or network is needed; the real
``DIGITALOCEAN_TOKEN`` is removed, so an example that forgot the fake fails here. The
``aiodo-projects`` commands of ``console`` blocks are parsed by the command line's own parser.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib.util
import inspect
import io
import pathlib
import re
import shlex
import warnings
from typing import TYPE_CHECKING, Any

import attrs
import pytest

import aiodo_projects as do
from aiodo_projects.cli._parser import build_parser
from aiodo_projects.testing import FakeDigitalOcean
from tests.redis_support import running_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.rst"
SHELL_LANGUAGES = frozenset({"console", "bash", "shell", "sh"})
SHELL_CONTROL = frozenset({"|", "||", "&&", ";", "&"})
REDIRECTION = re.compile(r"\s\d*(?:>>?|<)&?\s*[^\s|;&]+")  # "> out.txt", "2>/dev/null"


def sources() -> list[pathlib.Path]:
    built = DOCS / "_build"
    pages = sorted(p for p in DOCS.rglob("*.rst") if built not in p.parents)
    return [README, *pages]


def name(path: pathlib.Path) -> str:
    return path.relative_to(ROOT).as_posix()


@attrs.frozen
class Block:
    """One code block of a page: its language, its first line in the file and its text."""

    language: str
    line: int
    text: str


def blocks(path: pathlib.Path) -> list[Block]:
    """The page's ``code``/``code-block`` blocks, in order, as docutils parses them."""
    import docutils.core  # noqa: PLC0415 - a test dependency, imported where it is used
    import docutils.nodes  # noqa: PLC0415

    settings = {
        # Sphinx's own roles and directives are unknown to plain docutils: leave them be
        "report_level": 5,
        "halt_level": 5,
        "warning_stream": io.StringIO(),
        "file_insertion_enabled": False,
        "syntax_highlight": "none",  # keep each block one text node
    }
    with warnings.catch_warnings():  # docutils' notice about its next major version
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        tree = docutils.core.publish_doctree(
            path.read_text(), source_path=str(path), settings_overrides=settings
        )
    found = []
    for node in tree.findall(docutils.nodes.literal_block):
        classes = node.get("classes", [])
        if "code" not in classes or len(classes) < 2:  # a plain :: block is not code to run
            continue
        text = node.astext()
        found.append(Block(classes[1], first_line(path, text), text + "\n"))
    return found


def first_line(path: pathlib.Path, text: str) -> int:
    """The line of the file where the block's text starts (for tracebacks)."""
    first = text.splitlines()[0].strip() if text.strip() else ""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if first and line.strip() == first:
            return number
    return 1


def python_blocks(path: pathlib.Path) -> list[Block]:
    return [block for block in blocks(path) if block.language == "python"]


def commands(block: Block) -> list[list[str]]:
    """The ``aiodo-projects`` command lines of a console block, as argument lists.

    A line is a command when it starts with ``$ ``; backslash continuations are joined, and
    each part between ``|``, ``&&``, ``||`` and ``;`` is a command of its own, without its
    redirections.
    """
    lines = block.text.splitlines()
    found = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith("$ "):
            continue
        command = line[2:]
        while command.endswith("\\") and index < len(lines):
            command = command[:-1] + " " + lines[index].strip()
            index += 1
        command = REDIRECTION.sub(" ", command)
        lexer = shlex.shlex(command, posix=True, punctuation_chars="|&;")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        segment: list[str] = []
        for word in [*lexer, ";"]:
            if word in SHELL_CONTROL:
                if segment and segment[0] == "aiodo-projects":
                    found.append(segment[1:])
                segment = []
            else:
                segment.append(word)
    return found


def run_program(path: pathlib.Path) -> str:
    """Run the page's Python blocks in order as one program; return what it printed."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    out = io.StringIO()
    with asyncio.Runner() as runner, contextlib.redirect_stdout(out):
        try:
            for block in python_blocks(path):
                source = "\n" * (block.line - 1) + block.text  # tracebacks show the file's lines
                code = compile(
                    source,
                    str(path),
                    "exec",
                    flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                    dont_inherit=True,
                )
                result = eval(code, namespace)  # noqa: S307 - the documentation's own examples
                if inspect.iscoroutine(result):
                    runner.run(result)
        finally:
            runner.run(close_leftovers(namespace))
    return out.getvalue()


async def close_leftovers(namespace: dict[str, Any]) -> None:
    """Close what a page left open, as a notebook's kernel does when it stops."""
    for value in list(namespace.values()):
        if isinstance(value, do.Client):
            await value.aclose()
    for value in list(namespace.values()):
        if isinstance(value, FakeDigitalOcean):
            await value.close()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a loopback port, for the page that shares limits through it."""
    for server in running_redis():
        yield f"{server.url}/0"


PAGES_WITH_PYTHON = [path for path in sources() if python_blocks(path)]


@pytest.mark.parametrize("path", PAGES_WITH_PYTHON, ids=name)
def test_docs_python_blocks_run_against_the_fake(
    path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    if "REDIS_URL" in path.read_text():
        monkeypatch.setenv("REDIS_URL", request.getfixturevalue("redis_url"))
    out = run_program(path)
    assert out.strip(), f"{name(path)}: its examples printed nothing to show they ran"
    assert "test-token" not in out  # the fake's token never shows, in a repr or an error


def test_docs_every_guide_has_checked_examples() -> None:
    guides = sorted((DOCS / "guides").glob("*.rst"))
    assert guides
    for path in guides:
        checked = [b for b in blocks(path) if b.language == "python" or commands(b)]
        assert checked, f"{name(path)} has no example that the tests run or parse"


def test_docs_readme_has_a_quickstart_that_runs() -> None:
    assert README in PAGES_WITH_PYTHON


@pytest.mark.parametrize("path", sources(), ids=name)
def test_docs_commands_in_console_blocks_parse(path: pathlib.Path) -> None:
    parser = build_parser()
    for block in blocks(path):
        if block.language not in SHELL_LANGUAGES:
            continue
        for argv in commands(block):
            try:
                parser.parse_args(argv)
            except SystemExit as stop:  # argparse has already said why on stderr
                pytest.fail(f"{name(path)} line {block.line}: {shlex.join(argv)} ({stop})")


def test_docs_commands_are_read_from_console_blocks() -> None:
    block = Block(
        "console",
        1,
        "$ aiodo-projects --fake list --per-page 5 | cat\nID  Name\n"
        "$ export X=1\n$ aiodo-projects audit --rate-limiter on \\\n    --limit 3 > report.txt\n"
        "$ pip install '.[cli]' && aiodo-projects --fake audit  # a comment\n"
        "$ echo y | aiodo-projects delete ID 2>/dev/null; aiodo-projects ratelimit\n",
    )
    assert commands(block) == [
        ["--fake", "list", "--per-page", "5"],
        ["audit", "--rate-limiter", "on", "--limit", "3"],
        ["--fake", "audit"],
        ["delete", "ID"],
        ["ratelimit"],
    ]


def test_readme_renders_without_errors() -> None:
    import docutils.core  # noqa: PLC0415
    import docutils.utils  # noqa: PLC0415

    settings = {"report_level": 2, "halt_level": 2, "warning_stream": False}
    try:
        with warnings.catch_warnings():  # docutils' notice about its next major version
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            docutils.core.publish_doctree(README.read_text(), settings_overrides=settings)
    except docutils.utils.SystemMessage as error:  # pragma: no cover - shown only when it fails
        pytest.fail(f"README.rst does not render: {error}")


def test_docs_program_runs_blocks_in_order_with_top_level_await(tmp_path: pathlib.Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n.. code-block:: python\n\n    import asyncio\n    seen = []\n\n"
        "Text.\n\n.. code-block:: python\n\n    await asyncio.sleep(0)\n    seen.append(1)\n"
        "    print(seen)\n\n::\n\n    not python, not run\n"
    )
    assert run_program(page) == "[1]\n"


def test_docs_program_fails_on_an_example_that_fails(tmp_path: pathlib.Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text("T\n=\n\n.. code-block:: python\n\n    x = 1\n    raise KeyError(x)\n")
    with pytest.raises(KeyError) as caught:
        run_program(page)
    assert caught.traceback[-1].lineno == 6  # 0-based: line 7 of the page, where it raised


def load_link_checker() -> Any:
    spec = importlib.util.spec_from_file_location("check_links", DOCS / "check_links.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_link_checker_finds_missing_pages_and_anchors(tmp_path: pathlib.Path) -> None:
    (tmp_path / "guides").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="guides/a.html#ok">a</a> <a href="guides/a.html#gone">b</a>'
        '<a href="missing.html">c</a> <img src="_images/chart.png">'
        '<a href="https://example.com/x.html">d</a> <a href="#top">e</a><p id="top"></p>'
    )
    (tmp_path / "guides" / "a.html").write_text(
        '<h1 id="ok">A</h1><a href="../index.html">up</a><a href="../../outside.html">x</a>'
    )
    (tmp_path.parent / "outside.html").write_text("<p>outside the site</p>")
    assert load_link_checker().broken_links(tmp_path) == [
        "guides/a.html: ../../outside.html (no such file)",
        "index.html: guides/a.html#gone (no such anchor)",
        "index.html: missing.html (no such file)",
        "index.html: _images/chart.png (no such file)",
    ]


def test_docs_link_checker_passes_a_whole_site(tmp_path: pathlib.Path) -> None:
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "chart.png").write_bytes(b"png")
    (tmp_path / "index.html").write_text(
        '<a href="page.html#part">p</a><img src="_images/chart.png"><a name="here"></a>'
    )
    (tmp_path / "page.html").write_text('<section id="part"><a href="index.html#here">b</a>')
    checker = load_link_checker()
    assert checker.broken_links(tmp_path) == []
    assert checker.main([str(tmp_path)]) == 0
    assert checker.main([str(tmp_path / "nothing")]) == 2


def test_readme_links_to_files_that_exist() -> None:
    import docutils.core  # noqa: PLC0415
    import docutils.nodes  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        tree = docutils.core.publish_doctree(README.read_text())
    targets = [
        node["refuri"] for node in tree.findall(docutils.nodes.reference) if "refuri" in node
    ]
    relative = [uri for uri in targets if "://" not in uri]
    assert len(relative) >= 8  # one per guide
    missing = [uri for uri in relative if not (ROOT / uri).is_file()]
    assert missing == []
