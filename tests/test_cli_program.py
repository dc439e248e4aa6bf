"""The installed program in subprocesses: entry points, pipes, Ctrl-C and ``fake-server``."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from tests.cli_support import BIN, TOKEN, fake_in_thread, program_env, run_program

if TYPE_CHECKING:
    from collections.abc import Callable


pytestmark = pytest.mark.slow  # real programs and terminals, timed by the wall clock


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_program_fake_list_json_through_the_installed_script() -> None:
    run = run_program("--fake", "list", "-o", "json")
    assert run.code == 0, run.err
    projects = json.loads(run.out)
    assert len(projects) == 301
    assert sum(p["is_default"] for p in projects) == 1
    assert run.err == ""


def test_program_python_dash_m_runs_the_same_command_line() -> None:
    run = run_program("--fake", "get", "default", "-o", "json", module=True)
    assert run.code == 0, run.err
    assert json.loads(run.out)["is_default"] is True


def test_program_fake_audit_piped_is_plain_text_without_a_progress_bar() -> None:
    run = run_program("--fake", "audit")
    assert run.code == 0, run.err
    # The estimate, said before it starts; no progress drawn on a pipe.
    assert run.err.startswith("Estimate for fake-1: 301 projects; about 303 requests;")
    assert run.err.count("\n") == 1
    assert run.out.startswith("Audit of 301 projects and ")
    assert "\x1b[" not in run.out
    assert "┏" not in run.out
    assert "Empty projects, candidates for deletion" in run.out


def test_program_without_a_token_exits_2_with_one_line() -> None:
    run = run_program("list")
    assert run.code == 2
    assert run.out == ""
    assert run.err == (
        "aiodo-projects: error: no API token: set DIGITALOCEAN_TOKEN or pass --token, "
        "or try --fake\n"
    )


def test_program_reader_going_away_is_not_a_traceback() -> None:
    with subprocess.Popen(  # noqa: S603 - our own program
        [str(BIN), "--fake", "list", "-o", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=program_env(),
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().strip() == b"["
        process.stdout.close()  # like `| head -1`
        code = process.wait(timeout=60)
        err = process.stderr.read().decode()
    assert "Traceback" not in err
    assert code in {0, 1}


@pytest.mark.parametrize(
    ("command", "latency"),
    [
        (["audit"], 0.05),  # hundreds of requests, 8 at a time
        (["list", "-o", "json"], 1.0),  # two pages: stopped while the first is in flight
    ],
)
def test_program_ctrl_c_exits_130_without_traceback_or_partial_output(
    command: list[str], latency: float
) -> None:
    with fake_in_thread(
        lambda f: f.seed(projects=400, resources_per_project=1), latency=latency
    ) as fake:
        with subprocess.Popen(  # noqa: S603 - our own program
            [str(BIN), "--base-url", fake.base_url, "--token", TOKEN, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=program_env(),
        ) as process:
            _wait_for(lambda: fake.received() >= 1)  # the command is under way
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        requests = fake.received()
    assert process.returncode == 130
    assert out == ""
    assert err == "aiodo-projects: interrupted\n"
    assert requests < 400  # it stopped part-way


def _start_fake_server(*argv: str) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(  # noqa: S603 - our own program
        [str(BIN), "fake-server", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=program_env(),
    )
    assert process.stdout is not None
    # Read all three lines here: communicate() later reads the pipe, not this buffer.
    banner = "".join(process.stdout.readline() for _ in range(3))
    assert banner.startswith("listening on http://127.0.0.1:"), banner
    return process, banner.split()[2], banner


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_program_fake_server_serves_demo_data_until_stopped(stop: signal.Signals) -> None:
    process, base_url, banner = _start_fake_server("--projects", "12")
    try:
        run = run_program("--base-url", base_url, "--token", "test-token", "audit", "-o", "json")
        assert run.code == 0, run.err
        assert json.loads(run.out)["projects"] == 13
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in err
    assert banner.endswith("press Ctrl-C to stop\n")
    assert "--token test-token audit" in banner
    assert out == ""


def test_program_fake_server_empty_with_latency_and_limits_and_its_own_token() -> None:
    process, base_url, banner = _start_fake_server(
        "--empty", "--latency", "0.01", "--enforce-limits", "--token", TOKEN
    )
    try:
        run = run_program("--base-url", base_url, "--token", TOKEN, "list", "-o", "json")
        assert run.code == 0, run.err
        assert [p["is_default"] for p in json.loads(run.out)] == [True]
        refused = run_program("--base-url", base_url, "--token", "test-token", "list")
        assert refused.code == 1
        assert "authentication failed (401)" in refused.err
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert TOKEN not in banner + out + err
    assert "--token TOKEN audit" in banner


def test_program_fake_server_refuses_a_host_that_is_not_loopback() -> None:
    run = run_program("fake-server", "--host", "0.0.0.0")  # noqa: S104 - refused, as tested
    assert run.code == 2
    assert run.err.startswith("aiodo-projects: error: ")
    assert run.err.count("\n") == 1


def test_program_never_prints_the_token() -> None:
    with fake_in_thread(lambda f: f.seed_demo(projects=10)) as fake:
        env = {"DIGITALOCEAN_TOKEN": TOKEN}
        runs = [
            run_program("--base-url", fake.base_url, "-vv", "audit", env=env),
            run_program("--base-url", fake.base_url, "-vv", "list", "-o", "csv", env=env),
            run_program("--base-url", fake.base_url, "--token", TOKEN, "-v", "ratelimit"),
            run_program("--base-url", fake.base_url, "-v", "delete", "default", env=env),
        ]
    assert "GET /v2/projects" in runs[0].err
    for run in runs:
        assert TOKEN not in run.out + run.err
