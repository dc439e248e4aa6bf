"""Quality gates: lint, typecheck, tests (with branch coverage), the docs, and benchmarks.

Most sessions have no python list, so they run on the interpreter nox itself runs on (with
``CI`` set, nox fails on interpreters it cannot find). ``compat`` runs the suite on the newer
Pythons that this machine has (``python3.12``, ``python3.13`` on the PATH; with pyenv, list
them in ``PYENV_VERSION``, as ``.ci/run`` does), and is left out where there are none.
``quick`` is the suite without the tests marked ``slow`` (those timed by the wall clock), for
a fast loop while working; CI runs everything.
"""

from __future__ import annotations

import shutil
import subprocess

import nox


def _runnable(version: str) -> bool:
    """Say whether ``python<version>`` is on the PATH and runs (a pyenv shim may not)."""
    binary = shutil.which(f"python{version}")
    if binary is None:
        return False
    done = subprocess.run([binary, "--version"], capture_output=True, check=False)  # noqa: S603
    return done.returncode == 0


COMPAT_PYTHONS = [version for version in ("3.12", "3.13") if _runnable(version)]

nox.options.sessions = ["lint", "typecheck", "tests", "docs"] + (
    ["compat"] if COMPAT_PYTHONS else []
)
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYPROJECT = nox.project.load_toml("pyproject.toml")
COVERAGE_FLOOR = "99"  # the branch coverage the suite has: a change may not lower it


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
    """The whole test suite with branch coverage (at least 99%)."""
    session.install("-e", ".[cli]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("coverage", "erase")
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report", f"--fail-under={COVERAGE_FLOOR}")


@nox.session
def quick(session: nox.Session) -> None:
    """The suite without the wall-clock tests marked ``slow``, and without coverage."""
    session.install("-e", ".[cli]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", "-q", "-m", "not slow", *session.posargs)


if COMPAT_PYTHONS:

    @nox.session(python=COMPAT_PYTHONS)
    def compat(session: nox.Session) -> None:
        """The whole suite on each newer Python this machine has (no coverage)."""
        session.install("-e", ".[cli]", *nox.project.dependency_groups(PYPROJECT, "test"))
        session.run("pytest", "-q", *session.posargs)


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
    decoding breakdown, how its cost grows with the listing and the page size, the audit job
    against the least time its limits allow, and the limiter's cost in-process and on Redis."""
    session.install("-e", ".[cli,redis]", *nox.project.dependency_groups(PYPROJECT, "bench"))
    session.run("python", "-m", "benchmarks", *session.posargs)
    session.run("python", "-m", "benchmarks.breakdown")
    session.run("python", "-m", "benchmarks.growth")
    session.run("python", "-m", "benchmarks.audit_scale")
    session.run("python", "-m", "benchmarks.limiter")
