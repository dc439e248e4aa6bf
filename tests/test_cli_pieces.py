"""Smaller pieces of the command line: error lines, the rich report, fake-server in-process."""

from __future__ import annotations

import asyncio
import io
import json
import re
import runpy
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import aiodo_projects as do
import aiodo_projects.testing
from aiodo_projects.cli import _commands, _output, main
from aiodo_projects.cli._audit import audit_project
from aiodo_projects.cli._errors import CLIError, describe, redact
from aiodo_projects.cli._output import RenderOptions, render
from aiodo_projects.cli._report import AuditReport
from aiodo_projects.testing import ScriptedResponse
from tests.cli_support import fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiodo_projects.cli._output import Output
    from aiodo_projects.testing import FakeDigitalOcean


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("error", "line", "code"),
    [
        (CLIError("nothing deleted"), "nothing deleted", 1),
        (do.ValidationError("bad\nvalue"), "bad value", 2),
        (
            do.RateLimitError(429, "too_many_requests", "slow down", retry_after=30),
            "rate limited (429): slow down; retry after 30 s",
            1,
        ),
        (
            do.RateLimitError(429, "too_many_requests", "slow down"),
            "rate limited (429): slow down",
            1,
        ),
        (
            do.RateLimitError(
                do.RateLimitError.NOT_SENT,
                "hourly_budget_spent",
                "the hourly request budget is spent; it resets in 5 min",
                retry_after=300,
            ),
            "rate limited (nothing sent): the hourly request budget is spent; it resets in 5 min",
            1,
        ),
        (do.NotFoundError(404, "not_found", "gone"), "resource not found (404): gone", 1),
        (do.PreconditionFailedError(412, "x", "busy"), "request refused (412): busy", 1),
        (
            do.ServerError(502, "bad_gateway", "oops"),
            "the API failed (502): oops; try again later",
            1,
        ),
        (
            do.AmbiguousWriteError("POST /v2/projects: the connection was lost"),
            (
                "POST /v2/projects: the connection was lost; it may or may not have happened,"
                " check before trying again"
            ),
            1,
        ),
        (do.DigitalOceanError("odd"), "odd", 1),
        (
            PermissionError(13, "Permission denied"),
            "PermissionError: [Errno 13] Permission denied",
            1,
        ),
    ],
)
def test_errors_describe_gives_one_line_and_a_code(
    error: BaseException, line: str, code: int
) -> None:
    assert describe(error) == (line, code)


def test_errors_describe_appends_notes() -> None:
    error = do.ServerError(500, "internal", "boom")
    error.add_note("project 1 was created")
    assert describe(error)[0].endswith("; project 1 was created")


def test_errors_redact_blanks_the_secret_but_not_tiny_strings() -> None:
    assert redact("Bearer abcdef", "abcdef") == "Bearer ***"
    assert redact("a b c", "a") == "a b c"
    assert redact("text", None) == "text"


def _report() -> AuditReport:
    default = do.Project(id="d", name="Default", is_default=True, environment="Production")
    only = do.Project(id="p", name="[b]p[/b]", environment="Staging", purpose="IoT")
    audits = (
        audit_project(default, []),
        audit_project(only, [do.Resource(urn="do:droplet:1", status=do.ResourceStatus.OK)]),
    )
    reset = datetime(2030, 1, 1, tzinfo=UTC)
    rate_limit = do.RateLimit(limit=5000, remaining=4990, reset=reset)
    return AuditReport(audits, requests=3, seconds=0.25, rate_limit=rate_limit)


def test_report_rich_shows_sections_and_says_when_a_list_is_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    text = re.sub(r"\x1b\[[0-9;]*m", "", render(_report(), RenderOptions(), Terminal()))
    assert "Audit of 2 projects and 1 resource" in text
    assert "Resources not ok (0 resources in 0 projects): every resource is ok" in text
    assert "Empty projects, candidates for deletion (0): none" in text
    assert "[b]p[/b]" in text
    assert "3 requests in 0.25 s; rate limit: 4,990 of 5,000 left" in text
    assert "resets 2030-01-01 00:00:00 UTC" in text
    headless = render(_report(), RenderOptions(header=False), Terminal())
    assert "┃ Environment" not in headless


def test_report_json_carries_the_rate_limit() -> None:
    data: Any = json.loads(render(_report(), RenderOptions("json"), io.StringIO()))
    assert data["rate_limit"] == {"limit": 5000, "remaining": 4990, "reset": "2030-01-01T00:00:00Z"}
    assert data["resources_by_status"] == {"ok": 1}
    assert data["largest_projects"][0]["project"]["name"] == "[b]p[/b]"


def test_output_without_rich_installed_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich -> ImportError
    assert _output.rich_available() is False
    text = render(_report(), RenderOptions(), Terminal())
    assert text.startswith("Audit of 2 projects")
    assert "┏" not in text


class _ClosedPipe(io.StringIO):
    def write(self, _: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise ValueError("no descriptor")


def test_cli_output_to_a_closed_pipe_exits_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["--fake", "get", "default"]) == 1
    assert capsys.readouterr().err == ""


def test_cli_ratelimit_without_headers_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    garbled = ScriptedResponse(
        json={"projects": [], "links": {}, "meta": {"total": 0}},
        headers={"ratelimit-limit": "n/a"},
    )
    with fake_in_thread(lambda f: f.script("projects_list", garbled)) as fake:
        run = run_main(capsys, fake, "ratelimit")
    assert run.code == 1
    assert run.err == "aiodo-projects: error: the API answered without ratelimit-* headers\n"


@pytest.mark.parametrize(
    ("argv", "header"),
    [
        (["resources", "list", "default", "--format", "urn,Status"], "urn,status"),
        (["ratelimit", "--format", "Remaining"], "remaining"),
        (["get", "default", "--format", "OwnerID"], "owner_id"),
    ],
)
def test_cli_format_applies_to_each_kind_of_row(
    argv: list[str], header: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, None, "--fake", "-o", "csv", *argv)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == header


def test_cli_delete_format_uses_its_own_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with fake_in_thread(lambda f: f.add_project(name="gone")) as fake:
        pid = next(p for p, v in fake.projects.items() if v["name"] == "gone")
        run = run_main(capsys, fake, "delete", pid, "--yes", "--format", "ID", "--no-header")
    assert run.out == f"{pid}\n"


def _serve_briefly(
    seen: list[FakeDigitalOcean],
) -> Callable[..., Any]:
    real = aiodo_projects.testing.serve

    async def serve(fake: FakeDigitalOcean, *, on_ready: Callable[[Any], object]) -> None:
        stop = asyncio.Event()

        def ready(running: FakeDigitalOcean) -> None:
            on_ready(running)
            seen.append(running)
            stop.set()

        await real(fake, on_ready=ready, stop=stop, signals=())

    return serve


def test_cli_fake_server_in_process_seeds_and_announces_itself(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[FakeDigitalOcean] = []
    monkeypatch.setattr(aiodo_projects.testing, "serve", _serve_briefly(seen))
    run = run_main(capsys, None, "fake-server", "--projects", "7", "--latency", "0.01")
    assert run.code == 0
    [fake] = seen
    assert len(fake.projects) == 8
    assert fake.latency == 0.01
    assert run.out.splitlines() == [
        f"listening on {fake.base_url} with 8 projects",
        f"try: aiodo-projects --base-url {fake.base_url} --token test-token audit",
        "press Ctrl-C to stop",
    ]


def test_cli_fake_server_empty_holds_only_the_default_project(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[FakeDigitalOcean] = []
    monkeypatch.setattr(aiodo_projects.testing, "serve", _serve_briefly(seen))
    assert run_main(capsys, None, "fake-server", "--empty").code == 0
    assert len(seen[0].projects) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fake-server", "--projects", "-1"], "argument --projects: must be 0 or more, not -1"),
        (
            ["fake-server", "--latency", "-2"],
            "argument --latency: must be 0 or more seconds, not -2",
        ),
    ],
)
def test_cli_fake_server_rejects_bad_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, None, *argv)
    assert run.code == 2
    assert run.err == f"aiodo-projects fake-server: error: {message} (see --help)\n"


def test_cli_python_dash_m_module_calls_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["aiodo-projects", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(
            str(Path(aiodo_projects.__file__).parent / "__main__.py"), run_name="__main__"
        )
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("aiodo-projects ")


def test_cli_interrupt_inside_a_command_exits_130_with_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def interrupted(*_: object) -> Output:
        raise KeyboardInterrupt

    monkeypatch.setitem(_commands.COMMANDS, "list", interrupted)
    run = run_main(capsys, None, "--fake", "list")
    assert (run.code, run.out, run.err) == (130, "", "aiodo-projects: interrupted\n")


def test_report_without_a_default_project_says_so() -> None:
    lonely = audit_project(do.Project(id="p", name="p"), [])
    text = AuditReport((lonely,), requests=1, seconds=0.1).as_plain(RenderOptions())
    assert "Default project: not found in the listing" in text
    assert "Resources by type: none" in text
