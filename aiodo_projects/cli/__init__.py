"""The ``aiodo-projects`` command line, built on the public API of :mod:`aiodo_projects`.

``main(argv)`` parses, runs one command inside ``asyncio.run`` and only then writes its
output, all at once: a failure or a Ctrl-C leaves no half-written table or JSON. Every
failure is one line on stderr and an exit code (0 done, 1 failed, 2 bad arguments,
130 interrupted); ``-v`` adds logs and, only for an unexpected error (a bug), the traceback.
Everything from the API is shown :func:`~aiodo_projects.cli._visible.visible`: no escape
sequence a server sends reaches the terminal.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from aiodo_projects.cli._audit_command import AUDIT_COMMANDS
from aiodo_projects.cli._commands import COMMANDS, columns_of, subject_of
from aiodo_projects.cli._connect import connect, resolve_token
from aiodo_projects.cli._errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CLIError,
    describe,
    expected,
    first_error,
    redact,
)
from aiodo_projects.cli._output import RenderOptions, encodable, render
from aiodo_projects.cli._parser import parse
from aiodo_projects.cli._run_report import RunReport
from aiodo_projects.cli._visible import visible, visible_lines

if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Iterator, Sequence

    from aiodo_projects.cli._output import Output

__all__ = ["main"]

PROG = "aiodo-projects"


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (rich swaps it while a progress bar runs)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _SafeFormatter(logging.Formatter):
    """Formats a log record without the token and with API text made visible."""

    def __init__(self, secret: str | None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secret = secret

    def format(self, record: logging.LogRecord) -> str:
        return visible_lines(redact(super().format(record), self._secret))


@contextmanager
def _logging(verbose: int, secret: str | None) -> Iterator[None]:
    """Log to stderr while a command runs: ``-v`` this library, ``-vv`` everything."""
    if not verbose:
        yield
        return
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(_SafeFormatter(secret))
    target = logging.getLogger() if verbose > 1 else logging.getLogger("aiodo_projects")
    level = target.level
    target.addHandler(handler)
    target.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


def _command_name(args: Namespace) -> str:
    if args.command == "resources":
        return f"resources {args.action}"
    if args.command == "audit" and getattr(args, "audit_action", None):
        return f"audit {args.audit_action}"
    return str(args.command)


def _check_format(command: str, args: Namespace) -> None:
    """Reject a bad ``--format`` before anything is sent (not after a create succeeded)."""
    if args.format is None:
        return
    columns = columns_of(command)
    if columns is None:
        raise CLIError(f"--format does not apply to {command}", EXIT_USAGE)
    from aiodo_projects.cli._columns import choose_columns  # noqa: PLC0415

    choose_columns(columns, args.format)


def _confirm_delete(args: Namespace, stdin: TextIO, stderr: TextIO) -> None:
    """Ask before deleting; refuse when nobody can answer (stdin is not a terminal)."""
    if args.yes:
        return
    if not stdin.isatty():
        raise CLIError(
            "refusing to delete without confirmation: stdin is not a terminal; pass --yes",
            EXIT_USAGE,
        )
    ids = args.projects
    what = f"project {ids[0]}" if len(ids) == 1 else f"{len(ids)} projects ({', '.join(ids)})"
    stderr.write(f"Delete {visible(what)}? This cannot be undone. [y/N] ")
    stderr.flush()
    answer = stdin.readline()
    if not answer.endswith("\n"):
        stderr.write("\n")
    if answer.strip().lower() not in {"y", "yes"}:
        raise CLIError("nothing deleted", EXIT_FAILURE)


async def _run(command: str, args: Namespace) -> Output:
    if command in AUDIT_COMMANDS:
        return await AUDIT_COMMANDS[command](args)
    async with connect(args) as conn:
        return await COMMANDS[command](conn, args)


def _execute(args: Namespace) -> int:
    command = _command_name(args)
    _check_format(command, args)
    if command == "fake-server":
        from aiodo_projects.cli._fake_server import run_fake_server  # noqa: PLC0415

        return run_fake_server(args)
    if command == "delete":
        _confirm_delete(args, sys.stdin, sys.stderr)
    result = asyncio.run(_run(command, args))
    options = RenderOptions(output=args.output, format=args.format, header=args.header)
    text = render(result, options, sys.stdout)
    sys.stdout.write(encodable(text, sys.stdout))
    sys.stdout.flush()
    if isinstance(result, RunReport):
        if args.output != "table":  # a table ends with these lines; keep JSON and CSV pure
            for line in [result.status_line(), *result.warnings()]:
                sys.stderr.write(f"{PROG}: {line}\n")
        return result.exit_code
    return 0


def _silence_stdout() -> None:
    # The reader went away (``| head``): point stdout at /dev/null so the final flush is quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aiodo-projects`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        args = parse(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    secret = resolve_token(args.token)
    try:
        with _logging(args.verbose, secret):
            return _execute(args)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line
        line, code = describe(exc, subject=subject_of(args))
        if args.verbose and not expected(first_error(exc)):
            text = "".join(traceback.format_exception(exc))
            sys.stderr.write(visible_lines(redact(text, secret)))
        sys.stderr.write(f"{PROG}: error: {redact(line, secret)}\n")
        return code
