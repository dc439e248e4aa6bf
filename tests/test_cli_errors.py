"""Every failure is one line on stderr with a non-zero exit code, and the token never shows."""

from __future__ import annotations

import functools
import io
import json
import socket
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects.cli import _commands
from aiodo_projects.testing import Fault
from tests.cli_support import TOKEN, fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.cli._output import Output
    from aiodo_projects.testing import FakeDigitalOcean
    from tests.cli_support import Run

UNKNOWN = "0b7f9a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread(lambda f: f.seed_demo(projects=5)) as server:
        yield server


def _one_line_error(run: Run, code: int) -> str:
    assert run.code == code, run.err
    assert run.out == ""
    assert run.err.startswith("aiodo-projects: error: ")
    assert run.err.count("\n") == 1
    assert "Traceback" not in run.err
    return run.err.removeprefix("aiodo-projects: error: ").rstrip("\n")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_without_a_token_says_how_to_give_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    run = run_main(capsys, None, "list")
    assert _one_line_error(run, 2) == (
        "no API token: set DIGITALOCEAN_TOKEN or pass --token, or try --fake"
    )


def test_cli_reads_the_token_from_the_environment(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    run = run_main(capsys, None, "--base-url", fake.base_url, "get", "default")
    assert run.code == 0, run.err
    assert fake.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_cli_with_a_rejected_token_says_authentication_failed(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, None, "--base-url", fake.base_url, "--token", "wrong-token", "list")
    line = _one_line_error(run, 1)
    assert line.startswith("authentication failed (401)")
    assert "set DIGITALOCEAN_TOKEN or pass --token" in line
    assert "wrong-token" not in run.err


def test_cli_unknown_project_is_a_404_naming_it(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_line_error(run_main(capsys, fake, "get", UNKNOWN), 1)
    assert line.startswith(f"project {UNKNOWN} not found (404)")
    line = _one_line_error(run_main(capsys, fake, "resources", "list", UNKNOWN), 1)
    assert line.startswith(f"project {UNKNOWN} not found (404)")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["get", "web"], "project_id must be a UUID or \"default\", not 'web'"),
        (["list", "--per-page", "500"], "per_page must be an integer from 1 to 200, not 500"),
        (["list", "--page", "0"], "page must be an integer of at least 1, not 0"),
        (
            ["create", "--name", "x", "--purpose", "IoT", "--environment", "prod"],
            "environment must be one of Development, Staging, Production, not 'prod'",
        ),
        (["create", "--name", "", "--purpose", "IoT"], "name must be 1 to 175 characters long"),
        (["patch", UNKNOWN], "give at least one of name, description"),
        (["list", "--format", "ID,Colour"], "unknown column 'Colour' in --format; choose from"),
        (["audit", "--format", "ID"], "--format does not apply to audit"),
        (["audit", "--concurrency", "0"], "--concurrency must be from 1 to 64, not 0"),
        (["audit", "--top", "-1"], "--top and --limit must be 0 or more"),
        (["--timeout", "0", "list"], "timeout must be a positive number of seconds"),
        (["--fake", "--base-url", "http://127.0.0.1:1", "list"], "--fake and --base-url"),
    ],
)
def test_cli_invalid_arguments_are_one_line_and_exit_2(
    argv: list[str], message: str, fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_line_error(run_main(capsys, fake, *argv), 2)
    assert line.startswith(message)
    assert fake.received() == 0


def test_cli_bad_format_is_refused_before_a_create_is_sent(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "create", "--name", "x", "--purpose", "IoT", "--format", "Nope")
    _one_line_error(run, 2)
    assert fake.received() == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["get"],
        ["list", "--page", "two"],
        ["--output", "yaml", "list"],
        ["resources"],
        ["create", "--name", "x"],
    ],
)
def test_cli_parser_errors_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, None, *argv)
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert run.err.startswith("aiodo-projects")
    assert "error: " in run.err
    assert run.err.endswith("(see --help)\n")


def test_cli_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_main(capsys, None, "--help")
    assert run.code == 0
    assert "aiodo-projects --fake audit" in run.out
    for command in ("list", "get", "create", "update", "patch", "delete", "resources", "audit"):
        assert command in run.out
    version = run_main(capsys, None, "--version")
    assert version.code == 0
    assert version.out.startswith("aiodo-projects ")


@pytest.mark.slow
def test_cli_unreachable_api_is_a_connection_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    run = run_main(capsys, None, "--base-url", f"http://127.0.0.1:{_closed_port()}", "list")
    assert _one_line_error(run, 1).startswith("cannot reach the API: GET /v2/projects failed")


def test_cli_hanging_api_times_out_after_timeout(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("projects_get", *[Fault.hang()] * 5)
    run = run_main(capsys, fake, "--timeout", "0.2", "get", UNKNOWN)
    line = _one_line_error(run, 1)
    assert line.startswith("timed out: ")
    assert line.endswith("(see --timeout)")


@pytest.mark.parametrize(
    ("status", "start"),
    [
        (403, "permission denied (403)"),
        (409, "the API refused the request (409 "),
        (400, "the API refused the request (400 "),
    ],
)
def test_cli_api_error_statuses_are_one_line(
    status: int, start: str, fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("projects_list", status)
    assert _one_line_error(run_main(capsys, fake, "list"), 1).startswith(start)


def test_cli_server_errors_are_one_line(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.001)  # the retries, without waits
    monkeypatch.setattr(do, "Client", functools.partial(do.Client, retry_policy=quick))
    fake.script("projects_get_default", *[503] * 10)
    line = _one_line_error(run_main(capsys, fake, "--timeout", "5", "get", "default"), 1)
    assert "(503)" in line
    assert fake.received("projects_get_default") == 1 + 3  # the default max_retries


def test_cli_a_body_that_is_not_json_is_an_unexpected_answer(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("projects_get_default", Fault.invalid_json())
    line = _one_line_error(run_main(capsys, fake, "get", "default"), 1)
    assert line.startswith("unexpected answer from the API: ")


def test_cli_an_unexpected_error_is_one_line_and_its_traceback_only_with_verbose(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> Output:
        raise RuntimeError("bug " + TOKEN)

    monkeypatch.setitem(_commands.COMMANDS, "ratelimit", broken)
    line = _one_line_error(run_main(capsys, fake, "ratelimit"), 1)
    assert line == "internal error (RuntimeError: bug ***); run with -v for details"
    verbose = run_main(capsys, fake, "-v", "ratelimit")
    assert verbose.code == 1
    assert "Traceback" in verbose.err
    assert TOKEN not in verbose.err


def test_cli_never_prints_the_token(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    pid = next(iter(fake.projects))
    fake.script("projects_list", 500, 401)
    outputs = []
    for argv in (
        ["-vv", "list"],
        ["-vv", "list"],
        ["-vv", "list", "-o", "json"],
        ["-vv", "get", pid, "-o", "csv"],
        ["-vv", "get", UNKNOWN],
        ["-vv", "ratelimit"],
        ["-vv", "delete", pid],
        ["-vv", "resources", "list", "default"],
        ["-vv", "audit", "-o", "json"],
        ["-vv", "audit"],
    ):
        run = run_main(capsys, fake, *argv)
        outputs += [run.out, run.err]
    outputs.append(json.dumps([r.path for r in fake.requests]))
    assert any("GET /v2/projects" in text for text in outputs)  # -vv did log requests
    for text in outputs:
        assert TOKEN not in text
        assert TOKEN[8:24] not in text
