"""``-v``: logs for every command, a traceback only for an unexpected error (a bug)."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects.cli import _audit, _commands
from aiodo_projects.cli._errors import CLIError, describe, expected, first_error
from tests.cli_support import TOKEN, fake_in_thread, run_main, run_program

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.cli._output import Output
    from aiodo_projects.testing import FakeDigitalOcean
    from tests.cli_support import Run

UNKNOWN = "0b7f9a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    quick = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.001)  # retries without waits
    monkeypatch.setattr(do, "Client", functools.partial(do.Client, retry_policy=quick))
    with fake_in_thread(lambda f: f.seed_demo(projects=40)) as server:
        yield server


def _error_line_only(run: Run, code: int) -> str:
    """Assert stderr is logs at most and then one error line; return that line."""
    assert run.code == code, run.err
    assert "Traceback" not in run.err
    assert "ExceptionGroup" not in run.err
    *logs, last = run.err.splitlines()
    assert last.startswith("aiodo-projects: error: ")
    assert all(" aiodo_projects" in line for line in logs), logs  # log records, nothing else
    return last


def test_cli_verbose_not_found_is_one_line_after_the_logs(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "-v", "get", UNKNOWN)
    line = _error_line_only(run, 1)
    assert line.endswith("not found (404): The resource you requested could not be found.")
    assert f"GET /v2/projects/{UNKNOWN} -> 404" in run.err  # -v still logs


def test_cli_verbose_rate_limited_is_one_line(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(do, "Client", functools.partial(do.Client, max_retries=0))  # no waits
    fake.script("projects_list", 429)
    line = _error_line_only(run_main(capsys, fake, "-v", "list"), 1)
    assert "rate limited (429)" in line


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["-v", "get", "web"], 2),  # ValidationError
        (["-v", "list", "--per-page", "500"], 2),
        (["-v", "list", "--format", "Colour"], 2),
        (["-v", "audit", "--concurrency", "0"], 2),
        (["-v", "list", "surplus"], 2),  # a usage error from argparse
    ],
)
def test_cli_verbose_bad_arguments_are_one_line(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], argv: list[str], code: int
) -> None:
    run = run_main(capsys, fake, *argv)
    assert run.code == code
    assert run.err.count("\n") == 1
    assert run.err.startswith("aiodo-projects: error: ")


def test_cli_verbose_interrupt_is_one_line(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def interrupted(*_: object) -> Output:
        raise KeyboardInterrupt

    monkeypatch.setitem(_commands.COMMANDS, "ratelimit", interrupted)
    run = run_main(capsys, fake, "-v", "ratelimit")
    assert (run.code, run.out, run.err) == (130, "", "aiodo-projects: interrupted\n")


def test_cli_verbose_audit_failure_is_its_first_error_in_one_line(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("projects_list_resources", *[500] * 100)
    run = run_main(capsys, fake, "-v", "audit", "--concurrency", "8")
    # The account's failure is reported on the run, in one line, and the exit code is 1.
    assert run.code == 1
    assert "Traceback" not in run.err
    (status,) = [line for line in run.out.splitlines() if line.startswith("Run 1: PARTIAL")]
    assert "(failed: default: the API failed (500)" in status


def test_cli_verbose_bug_in_the_audit_shows_one_traceback_not_the_group(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_: do.Client, __: object, project: do.Project) -> None:
        await asyncio.sleep(0)
        raise RuntimeError(f"bug on {project.name} {TOKEN}")

    monkeypatch.setattr(_audit, "_audit_one", broken)
    run = run_main(capsys, fake, "-v", "audit", "--concurrency", "8")
    assert run.code == 1
    assert run.err.count("Traceback (most recent call last)") == 1
    assert "ExceptionGroup" not in run.err
    assert "RuntimeError: bug on " in run.err
    assert TOKEN not in run.err
    assert run.err.splitlines()[-1].startswith(
        "aiodo-projects: error: internal error (RuntimeError"
    )


def test_cli_verbose_program_shows_expected_errors_in_one_line() -> None:
    with fake_in_thread(lambda f: f.seed_demo(projects=5)) as fake:
        run = run_program("--base-url", fake.base_url, "--token", TOKEN, "-v", "get", UNKNOWN)
    line = _error_line_only(run, 1)
    assert "not found (404)" in line


class _LeafError(Exception):
    pass


def test_cli_errors_first_error_skips_cancellations_and_nesting() -> None:
    leaf = _LeafError("first")
    group = BaseExceptionGroup(
        "tasks", [asyncio.CancelledError(), ExceptionGroup("inner", [leaf, ValueError()])]
    )
    assert first_error(group) is leaf
    cancelled = asyncio.CancelledError()
    assert first_error(BaseExceptionGroup("only", [cancelled])) is cancelled
    assert first_error(leaf) is leaf


def test_cli_errors_describe_a_group_as_its_first_error() -> None:
    group = ExceptionGroup("tasks", [do.NotFoundError(404, "not_found", "gone")])
    assert describe(group) == ("resource not found (404): gone", 1)


@pytest.mark.parametrize(
    ("error", "is_expected"),
    [
        (do.NotFoundError(404, "not_found", "gone"), True),
        (do.ValidationError("bad"), True),
        (do.APITimeoutError("slow"), True),
        (CLIError("no"), True),
        (KeyboardInterrupt(), True),
        (OSError("disk full"), True),
        (RuntimeError("bug"), False),
        (KeyError("bug"), False),
    ],
)
def test_cli_errors_expected_tells_failures_from_bugs(
    error: BaseException, *, is_expected: bool
) -> None:
    assert expected(error) is is_expected
