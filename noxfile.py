"""Quality gates: lint, typecheck, tests (with branch coverage), the docs, and benchmarks.

Sessions have no python list, so they run on the interpreter nox itself runs on
(with ``CI`` set, nox would fail on interpreters it cannot find).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint and formatting."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy --strict over the package, the tests, the benchmarks and the examples."""
    session.install("-e", ".[cli]", *nox.project.dependency_groups(PYPROJECT, "typecheck"))
    session.run("mypy", "--strict")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite with branch coverage (at least 95%)."""
    session.install("-e", ".[cli]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report", "--fail-under=95")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site: warnings are errors, every reference and internal link resolves."""
    session.install("-e", ".[redis]", *nox.project.dependency_groups(PYPROJECT, "docs"))
    build = "docs/_build/html"
    session.run(
        "python", "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", "-E", "docs", build
    )
    session.run("python", "docs/check_links.py", build)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the raw-aiohttp floor and pydo (benchmarks/RESULTS.md), then the
    decoding breakdown and how its cost grows with the listing and the page size."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "bench"))
    session.run("python", "-m", "benchmarks", *session.posargs)
    session.run("python", "-m", "benchmarks.breakdown")
    session.run("python", "-m", "benchmarks.growth")
