"""The installed program in a real terminal: what the screen shows, prompts and Ctrl-C.

tmux gives the screen exactly as a user sees it (after every redraw of the progress bar);
pexpect drives a pseudo-terminal for the interactive cases.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from typing import TYPE_CHECKING

import pexpect
import pytest

from tests.cli_support import BIN, TOKEN, fake_in_thread, program_env

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.testing import FakeDigitalOcean

pytestmark = pytest.mark.skipif(not BIN.exists(), reason="aiodo-projects is not installed")


def _terminal_env() -> dict[str, str]:
    env = program_env({"TERM": "xterm-256color"})
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)  # the terminal's own size and colours decide
    return env


def _visible(text: str) -> str:
    """Return terminal output without its colour and cursor escape sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def _spawn(*argv: str, rows: int = 60, columns: int = 120) -> pexpect.spawn:
    return pexpect.spawn(
        str(BIN),
        list(argv),
        env=_terminal_env(),
        dimensions=(rows, columns),
        encoding="utf-8",
        timeout=60,
    )


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    """A private tmux server (its own socket), killed afterwards."""
    program = shutil.which("tmux")
    if program is None:
        pytest.skip("tmux is not installed")
    command = [program, "-L", f"aiodo-test-{uuid.uuid4().hex[:8]}", "-f", os.devnull]
    yield command
    subprocess.run([*command, "kill-server"], capture_output=True, check=False, timeout=10)  # noqa: S603


def test_terminal_fake_audit_screen_shows_the_progress_bar_and_the_report(
    tmux: list[str],
) -> None:
    env = " ".join(f"{k}={v!r}" for k, v in _terminal_env().items() if k in {"PATH", "HOME"})
    shell = f"env {env} TERM=tmux-256color {BIN} --fake audit; echo __EXIT=$?; sleep 60"
    # Size the window first, then start the program in it: a command given to new-session
    # can start before the detached session takes its size.
    for step in (
        ["new-session", "-d", "-x", "120", "-y", "150", "sleep 120"],
        ["resize-window", "-x", "120", "-y", "150"],
        ["respawn-pane", "-k", shell],
    ):
        subprocess.run([*tmux, *step], check=True, timeout=10)  # noqa: S603 - our own tmux
    deadline = time.monotonic() + 60
    screen = ""
    while "__EXIT=" not in screen:
        assert time.monotonic() < deadline, screen
        time.sleep(0.1)
        screen = subprocess.run(  # noqa: S603
            [*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    lines = screen.splitlines()
    assert "__EXIT=0" in screen
    # The progress bar stays on its own line at the top, full and counted.
    assert lines[0].startswith("Auditing projects ━")
    assert "301/301" in lines[0]
    assert lines[1].startswith("Audit of 301 projects and ")
    assert lines[2].startswith("Resources by type: ")
    assert any(line.startswith("Default project: Default (") for line in lines)
    assert any("┃ Environment ┃ Projects ┃ Resources ┃" in line for line in lines)
    assert any(line.startswith("Empty projects, candidates for deletion (") for line in lines)
    assert any(line.startswith("Resources not ok (") for line in lines)
    assert any(line.startswith("Largest projects (top 5)") for line in lines)
    assert any(" requests in " in line and "rate limit: " in line for line in lines)
    assert "Traceback" not in screen


def test_terminal_audit_draws_a_rich_progress_bar_on_stderr() -> None:
    child = _spawn("--fake", "audit")
    child.expect("Auditing projects")
    child.expect(pexpect.EOF)
    child.close()
    drawn = _visible(child.before)
    assert child.exitstatus == 0
    assert "━" in drawn
    assert "301/301" in drawn
    assert "┏" in drawn  # tables, not plain text, on a terminal


def test_terminal_list_is_a_rich_table() -> None:
    child = _spawn("--fake", "list", rows=400)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = _visible(child.before)
    assert "┃ ID " in shown
    assert "┃ Environment ┃" in shown
    assert "301 projects" in shown  # the caption


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    with fake_in_thread(lambda f: f.add_project(name="old")) as server:
        yield server


@pytest.mark.parametrize(("answer", "deleted", "code"), [("y", True, 0), ("n", False, 1)])
def test_terminal_delete_asks_in_the_terminal(
    answer: str, deleted: bool, code: int, fake: FakeDigitalOcean
) -> None:
    pid = next(p for p, project in fake.projects.items() if project["name"] == "old")
    child = _spawn("--base-url", fake.base_url, "--token", TOKEN, "delete", pid)
    child.expect_exact(f"Delete project {pid}? This cannot be undone. [y/N] ")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == code
    assert (pid not in fake.projects) is deleted
    assert TOKEN not in child.before


def test_terminal_ctrl_c_during_audit_exits_130_without_traceback() -> None:
    with fake_in_thread(
        lambda f: f.seed(projects=300, resources_per_project=1), latency=0.05
    ) as fake:
        child = _spawn("--base-url", fake.base_url, "--token", TOKEN, "audit")
        child.expect("Auditing projects")
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
        received = fake.received()
    assert child.signalstatus is None
    assert child.exitstatus == 130
    assert "interrupted" in child.before
    assert "Traceback" not in child.before
    assert "Audit of" not in child.before  # no report was half-written
    assert received < 300
