"""Helpers for the command-line tests: a fake API on its own thread, and ways to run the CLI.

``main()`` runs its own ``asyncio.run``, so the fake it talks to lives on another thread's
loop; the tests read the fake's state once a command has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import attrs

from aiodo_projects.cli import main
from aiodo_projects.testing import FakeDigitalOcean

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pytest

    from aiodo_projects.testing import LimitConfig

TOKEN = "dop_v1_cli_SECRET_5f2e9c0d7a1b4e3f"  # recognizable, so a leak is easy to find
BIN = pathlib.Path(sys.executable).parent / "aiodo-projects"


@contextlib.contextmanager
def fake_in_thread(
    setup: Callable[[FakeDigitalOcean], object] | None = None,
    *,
    latency: float = 0.0,
    limits: LimitConfig | None = None,
    token: str = TOKEN,
) -> Iterator[FakeDigitalOcean]:
    """Run a fake on its own loop in a thread; ``setup`` seeds it on that thread first."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    holder: list[FakeDigitalOcean] = []

    async def serve() -> None:
        async with FakeDigitalOcean(token=token, latency=latency, limits=limits) as server:
            if setup is not None:
                setup(server)
            holder.append(server)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        assert ready.wait(10), "the fake did not start"
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


@attrs.frozen
class Run:
    """What one run of the command line did."""

    code: int
    out: str
    err: str


def run_main(capsys: pytest.CaptureFixture[str], fake: FakeDigitalOcean | None, *argv: str) -> Run:
    """Call ``main()`` in-process, pointed at ``fake`` (if given) with the test token."""
    prefix = ["--base-url", fake.base_url, "--token", TOKEN] if fake is not None else []
    code = main([*prefix, *argv])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run_program(
    *argv: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    timeout: float = 60,
    module: bool = False,
) -> Run:
    """Run the installed ``aiodo-projects`` (or ``python -m aiodo_projects``) in a subprocess."""
    command = [sys.executable, "-m", "aiodo_projects"] if module else [str(BIN)]
    completed = subprocess.run(  # noqa: S603 - our own program
        [*command, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=program_env(env),
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def program_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return an environment without a real token, with ``extra`` added."""
    env = {k: v for k, v in os.environ.items() if k != "DIGITALOCEAN_TOKEN"}
    env.update({"COLUMNS": "120", "LINES": "50"})
    env.update(extra or {})
    return env
