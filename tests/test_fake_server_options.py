"""The two fake-server entry points: one set of options, one meaning, one-line usage errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import aiodo_projects.testing
import aiodo_projects.testing.__main__ as runner_module
from aiodo_projects.cli import main as cli_main
from aiodo_projects.testing import serve as real_serve

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiodo_projects.testing import FakeDigitalOcean

ROOT = Path(__file__).resolve().parents[1]


def _serve_once(seen: list[FakeDigitalOcean]) -> Callable[..., Any]:
    """A `serve` that starts the fake, announces it, and stops at once."""

    async def serve(fake: FakeDigitalOcean, *, on_ready: Callable[[Any], object]) -> None:
        seen.append(fake)
        stop = asyncio.Event()
        stop.set()
        await real_serve(fake, on_ready=on_ready, stop=stop, signals=())

    return serve


def _what_it_serves(fake: FakeDigitalOcean) -> tuple[object, ...]:
    projects = [
        (p["name"], p["purpose"], [r["urn"] for r in fake.resources_of(pid)])
        for pid, p in fake.projects.items()
    ]
    accounts = [(a.token, len(a.projects)) for a in fake.accounts]
    return projects, fake.latency, fake.record_limit, fake.limits.enforce, fake.token, accounts


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--port", "0", "--projects", "5"],
        ["--projects", "4", "--numbered"],
        ["--empty"],
        ["--latency", "0.25", "--record-limit", "9", "--enforce-limits", "--token", "T"],
        ["--accounts", "3", "--projects", "6"],
    ],
)
def test_fake_server_entry_points_give_options_one_meaning(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from_cli: list[FakeDigitalOcean] = []
    from_module: list[FakeDigitalOcean] = []
    monkeypatch.setattr(aiodo_projects.testing, "serve", _serve_once(from_cli))
    monkeypatch.setattr(runner_module, "serve", _serve_once(from_module))
    assert cli_main(["fake-server", *argv]) == 0
    assert runner_module.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("listening on http://127.0.0.1:") == 2
    assert _what_it_serves(from_cli[0]) == _what_it_serves(from_module[0])


def test_fake_server_seeds_demo_data_by_default_or_numbered_projects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[FakeDigitalOcean] = []
    monkeypatch.setattr(runner_module, "serve", _serve_once(seen))
    assert runner_module.main([]) == 0
    assert runner_module.main(["--projects", "2", "--numbered"]) == 0
    demo, numbered = seen
    assert len(demo.projects) == 301
    assert sum(len(demo.resources_of(pid)) for pid in demo.projects) > 300
    names = [p["name"] for p in numbered.projects.values()]
    assert names == ["Default", "project-00001", "project-00002"]


def test_fake_server_serves_several_accounts_each_with_its_own_demo_data(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[FakeDigitalOcean] = []
    monkeypatch.setattr(aiodo_projects.testing, "serve", _serve_once(seen))
    assert cli_main(["fake-server", "--accounts", "3", "--projects", "5"]) == 0
    (fake,) = seen
    assert [a.token for a in fake.accounts] == ["test-token", "test-token-2", "test-token-3"]
    assert [len(a.projects) for a in fake.accounts] == [6, 6, 6]
    names = [{p["name"] for p in a.projects.values()} for a in fake.accounts]
    assert names[0] != names[1] != names[2]  # each account seeded on its own
    out = capsys.readouterr().out
    assert "with 18 projects" in out
    assert "3 accounts, with the tokens test-token, test-token-2, test-token-3" in out


BAD_OPTIONS = [
    (["--port", "99999"], "argument --port: a port is 0 to 65535, not 99999"),
    (["--port", "-1"], "argument --port: a port is 0 to 65535, not -1"),
    (["--port", "http"], "argument --port: not a whole number: 'http'"),
    (["--latency", "nan"], "argument --latency: must be 0 or more seconds, not nan"),
    (["--latency", "inf"], "argument --latency: must be 0 or more seconds, not inf"),
    (["--latency", "-1"], "argument --latency: must be 0 or more seconds, not -1"),
    (["--latency", "soon"], "argument --latency: not a number of seconds: 'soon'"),
    (["--projects", "-3"], "argument --projects: must be 0 or more, not -3"),
    (["--record-limit", "-1"], "argument --record-limit: must be 0 or more, not -1"),
    (["--accounts", "0"], "argument --accounts: must be 1 or more, not 0"),
    (["--empty", "--projects", "3"], "argument --projects: not allowed with argument --empty"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_OPTIONS)
def test_fake_server_bad_options_are_one_line_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["fake-server", *argv]) == 2
    assert runner_module.main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"aiodo-projects fake-server: error: {message} (see --help)\n"
        f"python -m aiodo_projects.testing: error: {message} (see --help)\n"
    )


def test_fake_server_refuses_a_host_that_is_not_loopback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    public = ["--host", "0.0.0.0"]  # noqa: S104 - refused, as tested
    assert cli_main(["fake-server", *public]) == 2
    assert runner_module.main(public) == 2
    message = "the fake listens only on loopback addresses, not '0.0.0.0'"
    assert capsys.readouterr().err == (
        f"aiodo-projects: error: {message}\npython -m aiodo_projects.testing: error: {message}\n"
    )


def test_fake_module_bad_port_is_a_usage_error_without_a_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "aiodo_projects.testing", "--port", "99999"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_fake_server_help_documents_the_shared_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main(["fake-server", "--help"]) == 0
    assert runner_module.main(["--help"]) == 0
    cli_help, module_help = capsys.readouterr().out.split("usage: python -m", 1)
    for text in (cli_help, module_help):
        for option in ("--projects N", "--empty", "--numbered", "--record-limit N"):
            assert option in text
        assert "realistic demo data" in text
