"""Run the fake DigitalOcean API as a standalone server: ``python -m aiodo_projects.testing``.

It takes the options of ``aiodo-projects fake-server``, with the same meanings (one
definition serves both), prints ``listening on http://127.0.0.1:PORT`` once ready and runs
until SIGINT or SIGTERM. Only loopback hosts are accepted; a bad option is one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, NoReturn

from aiodo_projects.cli._fake_server import add_fake_server_arguments, make_fake
from aiodo_projects.testing._serve import serve

if TYPE_CHECKING:
    from aiodo_projects.testing import FakeDigitalOcean

PROG = "python -m aiodo_projects.testing"
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, as the CLI's are."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run the fake until a signal; return the exit status."""
    parser = _Parser(
        prog=PROG, description="Run the in-memory DigitalOcean Projects API on a loopback port."
    )
    add_fake_server_arguments(parser, token=True)
    try:
        args = parser.parse_args(argv)
        fake = make_fake(args)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except ValueError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE

    def ready(running: FakeDigitalOcean) -> None:
        sys.stdout.write(f"listening on {running.base_url}\n")
        sys.stdout.flush()

    # A SIGINT that comes before `serve` handles it interrupts asyncio.run instead.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(fake, on_ready=ready))
    return 0


if __name__ == "__main__":  # pragma: no cover - the tests run it in a subprocess
    sys.exit(main())
