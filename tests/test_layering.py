"""Imports flow one way: an allow-list of what each module of the package may import.

Every module is listed, so a new module must be placed in a layer before its tests pass. Both
runtime imports and those under ``TYPE_CHECKING`` count: a type-only import still ties a module
to what it names.
"""

from __future__ import annotations

import ast
import pathlib
import sys

import pytest

import aiodo_projects as do

PACKAGE = pathlib.Path(do.__file__).parent

# The pure core: no HTTP, no I/O of its own; only the data libraries it is built on.
_PURE: dict[str, set[str]] = {
    "__init__.py": set(),
    "_buckets.py": set(),
    "_closing.py": set(),
    "_deadline.py": set(),
    "_display.py": set(),
    "_limiter.py": set(),
    "_links.py": {"yarl"},
    "_pagination.py": {"attrs", "yarl"},
    "_prefetch.py": {"yarl"},
    "_projects.py": {"yarl"},
    "_protocol.py": set(),
    "_ratelimit.py": {"attrs"},
    "_redaction.py": {"multidict"},  # rebuilds aiohttp's header multidicts without importing it
    "_redis_breaker.py": set(),
    "_redis_scripts.py": set(),
    "_retry.py": {"attrs"},
    "_table.py": set(),
    "_validation.py": {"yarl"},
    "_version.py": set(),
    "errors.py": set(),
    "models.py": {"attrs"},
    "redis.py": set(),
}
_LIBRARY: dict[str, set[str]] = {
    **_PURE,
    "__main__.py": set(),
    "_client.py": {"aiohttp", "yarl"},  # owns or borrows the aiohttp session
    "_session.py": {"aiohttp", "yarl"},  # the only code that sends requests
    "_transport.py": {"aiohttp"},  # reads the session's bodies, names its transport errors
    "_options.py": {"aiohttp", "attrs", "yarl"},  # checks that a TraceConfig is one
    "_convert.py": {"attrs", "cattrs", "msgspec"},  # the one decoder
    "_redis_limiter.py": {"redis"},  # the redis extra
    "frames.py": {"pandas", "polars"},  # imported inside the functions, when called
}
_TESTING: dict[str, set[str]] = {
    "testing/__init__.py": set(),
    "testing/__main__.py": set(),
    "testing/_account.py": set(),
    "testing/_fake.py": {"aiohttp"},
    "testing/_faults.py": set(),
    "testing/_limits.py": set(),
    "testing/_routes.py": set(),
    "testing/_seed.py": set(),
    "testing/_serve.py": set(),
    "testing/_server.py": {"aiohttp", "multidict"},
    "testing/_state.py": set(),
    "testing/_wire.py": set(),
    "testing/pytest_plugin.py": {"pytest", "pytest_asyncio"},
}
_CLI: dict[str, set[str]] = {
    "cli/__init__.py": set(),
    "cli/_accounts.py": {"attrs"},
    "cli/_audit.py": {"attrs"},
    "cli/_audit_command.py": {"attrs", "rich"},
    "cli/_columns.py": {"attrs"},
    "cli/_commands.py": {"attrs"},
    "cli/_connect.py": {"aiohttp", "attrs"},
    "cli/_diff.py": {"attrs"},
    "cli/_errors.py": set(),
    "cli/_estimate.py": {"attrs"},
    "cli/_fake_server.py": set(),
    "cli/_history.py": {"attrs", "rich"},
    "cli/_job.py": {"aiohttp", "attrs"},
    "cli/_output.py": {"attrs", "rich"},
    "cli/_parser.py": set(),
    "cli/_progress.py": {"aiohttp"},
    "cli/_report.py": {"attrs", "rich"},
    "cli/_report_view.py": {"attrs", "rich"},
    "cli/_run_report.py": {"attrs", "rich"},
    "cli/_sqlite_queries.py": set(),
    "cli/_sqlite_schema.py": set(),
    "cli/_sqlite_store.py": set(),
    "cli/_store.py": {"attrs"},
    "cli/_visible.py": set(),
}
ALLOWED = {**_LIBRARY, **_TESTING, **_CLI}

# Which of the package's own subpackages a layer may import. The library knows neither the fake
# nor the command line; the fake does not know the command line, except that `python -m
# aiodo_projects.testing` takes its options from the one definition the CLI also uses (kept in
# the CLI so that the CLI's start-up does not import the fake's aiohttp.web server).
_SUBPACKAGES = {"cli", "testing"}
_MAY_USE = {"library": set(), "testing": {"testing"}, "cli": {"cli", "testing"}}
_EXCEPTIONS = {"testing/__main__.py": {"cli"}, "__main__.py": {"cli"}}


def _modules() -> list[str]:
    return sorted(path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py"))


def _imports(relative: str) -> tuple[set[str], set[str]]:
    """Return the third-party top-level names and the package's subpackages ``relative`` uses."""
    third: set[str] = set()
    own: set[str] = set()
    for node in ast.walk(ast.parse((PACKAGE / relative).read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "aiodo_projects":
                own.update(part for part in parts[1:2] if part in _SUBPACKAGES)
            elif parts[0] not in sys.stdlib_module_names and parts[0] != "__future__":
                third.add(parts[0])
    return third, own


def _layer(relative: str) -> str:
    first = relative.split("/", maxsplit=1)[0]
    return first if first in _SUBPACKAGES else "library"


def test_layering_lists_every_module_of_the_package() -> None:
    assert _modules() == sorted(ALLOWED)


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_layering_module_imports_only_what_its_layer_allows(module: str) -> None:
    third, own = _imports(module)
    assert third <= ALLOWED[module], f"{module} imports {sorted(third - ALLOWED[module])}"
    allowed = _MAY_USE[_layer(module)] | _EXCEPTIONS.get(module, set())
    assert own <= allowed, f"{module} imports aiodo_projects.{sorted(own - allowed)}"


def test_layering_only_the_session_client_and_fake_speak_http() -> None:
    speakers = {module for module in ALLOWED if "aiohttp" in _imports(module)[0]}
    assert {m for m in speakers if _layer(m) == "library"} == {
        "_client.py",
        "_session.py",
        "_transport.py",
        "_options.py",
    }
    assert not any("aiohttp" in _imports(module)[0] for module in _PURE)


def test_layering_decoding_libraries_only_in_the_converter() -> None:
    users = {m for m in ALLOWED if _imports(m)[0] & {"cattrs", "msgspec"}}
    assert users == {"_convert.py"}


def test_layering_allow_list_finds_a_forbidden_import(tmp_path: pathlib.Path) -> None:
    # The walker itself: an import of the CLI from the core, and a third-party name, are seen.
    module = tmp_path / "probe.py"
    module.write_text("import aiohttp.web\nfrom aiodo_projects.cli._errors import CLIError\n")
    third, own = _imports(str(module))  # an absolute path replaces PACKAGE in the join
    assert third == {"aiohttp"}
    assert own == {"cli"}
