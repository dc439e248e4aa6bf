"""The installed program in a real terminal: what the screen shows, prompts and Ctrl-C.

pexpect runs the installed program in a pseudo-terminal; pyte, a terminal emulator, turns what
it draws into the screen a person sees (after every redraw of the progress bar).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pexpect
import pyte
import pytest

from tests.cli_support import BIN, TOKEN, fake_in_thread, program_env

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.testing import FakeDigitalOcean


pytestmark = pytest.mark.slow  # real programs and terminals, timed by the wall clock


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


class Terminal:
    """A pseudo-terminal running the program, rendered by a VT100 emulator (pyte).

    The screen is what a person would see: rich's redraws of the progress bar, cursor moves
    and colours are applied, not read as raw bytes.
    """

    def __init__(self, *argv: str, rows: int, columns: int) -> None:
        self.child = _spawn(*argv, rows=rows, columns=columns)
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def pump(self) -> bool:
        """Feed what the program wrote since the last call; return False at its end."""
        try:
            self.stream.feed(self.child.read_nonblocking(65536, timeout=0.05))
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            self.child.close()
            return False
        return True


def test_terminal_fake_audit_screen_shows_the_progress_and_the_report() -> None:
    with fake_in_thread(lambda f: f.seed_demo(projects=300), latency=0.01) as fake:
        terminal = Terminal(
            "--base-url", fake.base_url, "--token", TOKEN, "audit", rows=150, columns=120
        )
        deadline = time.monotonic() + 60
        midway: list[str] = []
        while terminal.pump():
            assert time.monotonic() < deadline, terminal.text()
            counted = re.search(r"^default: (\d+)/301 ", terminal.lines()[2])
            if not midway and counted and 0 < int(counted.group(1)) < 301:
                midway = terminal.lines()
    assert terminal.child.exitstatus == 0, terminal.text()
    # While it ran: the estimate, then a line per account, counting; nothing else on the screen.
    assert midway, "the progress was never seen before the end"
    assert midway[0].startswith("Estimate for default: 301 projects; about 303 requests;")
    assert midway[1] == "Auditing projects"
    assert re.match(r"default: \d+/301  \d+%  [\d.]+/s  ETA ", midway[2]), midway[2]
    assert not any(line.strip() for line in midway[3:])
    lines = terminal.lines()
    assert lines[2].startswith("default: 301/301  100%  ")
    assert lines[2].endswith("done")
    assert lines[3].startswith("Audit of 301 projects and ")
    assert lines[4].startswith("Resources by type: ")
    screen = terminal.text()
    assert any(line.startswith("Default project: Default (") for line in lines)
    assert "┃ Environment ┃ Projects ┃ Resources ┃" in screen
    assert any(line.startswith("Empty projects, candidates for deletion (") for line in lines)
    assert any(line.startswith("Resources not ok (") for line in lines)
    assert any(line.startswith("Largest projects (top 5)") for line in lines)
    assert any(" requests in " in line and "rate limit: " in line for line in lines)
    assert "Run 1: complete" in screen
    assert "Traceback" not in screen
    assert TOKEN not in screen


def test_terminal_audit_draws_its_progress_on_stderr() -> None:
    child = _spawn("--fake", "audit")
    child.expect("Auditing projects")
    child.expect(pexpect.EOF)
    child.close()
    drawn = _visible(child.before)
    assert child.exitstatus == 0
    assert "fake-1: 301/301  100%" in drawn
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
        child.expect(r"default: [1-9]\d*/301")
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
        received = fake.received()
    assert child.signalstatus is None
    assert child.exitstatus == 130
    shown = _visible(child.before)
    assert "Traceback" not in shown
    # What was fetched is reported, marked partial, with the way to finish it.
    assert "Audit of " in shown
    assert "Run 1: PARTIAL (interrupted);" in shown
    assert "finish it with: aiodo-projects audit --resume 1" in shown
    assert received < 300
