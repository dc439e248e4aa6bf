"""Turning every failure into one line on stderr and an exit code.

An expected failure (the API or the network failed, a bad argument, a usage error) is its line
and nothing more, even with ``-v``; only an unexpected one (a bug) earns a traceback there.
"""

from __future__ import annotations

import asyncio
from typing import Final

import aiodo_projects as do
from aiodo_projects.cli._visible import visible

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CLIError",
    "describe",
    "expected",
    "first_error",
    "redact",
]

EXIT_FAILURE: Final = 1  # the API or the network failed, or the user said no
EXIT_USAGE: Final = 2  # bad arguments (argparse uses 2 too)
EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report Ctrl-C

TOKEN_HINT: Final = "set DIGITALOCEAN_TOKEN or pass --token, or try --fake"  # noqa: S105


class CLIError(Exception):
    """A failure the command line explains itself, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def redact(text: str, secret: str | None) -> str:
    """Return ``text`` with ``secret`` blanked out (the token must never be shown)."""
    if secret and len(secret) >= 4:  # noqa: PLR2004 - shorter strings are too common to blank
        return text.replace(secret, "***")
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _status_line(exc: do.APIStatusError, subject: str | None) -> str:  # noqa: PLR0911
    detail = exc.message
    if isinstance(exc, do.AuthenticationError):
        return f"authentication failed (401): the API rejected the token; {TOKEN_HINT}"
    if isinstance(exc, do.PermissionDeniedError):
        return f"permission denied (403): the token may lack the scope for this: {detail}"
    if isinstance(exc, do.NotFoundError):
        return f"{subject or 'resource'} not found (404): {detail}"
    if isinstance(exc, do.PreconditionFailedError):
        return f"{subject or 'request'} refused (412): {detail}"
    if isinstance(exc, do.RateLimitError):
        if exc.status == do.RateLimitError.NOT_SENT:  # the client's limiter refused: no 429 came
            return f"rate limited (nothing sent): {detail}"
        wait = "" if exc.retry_after is None else f"; retry after {exc.retry_after:g} s"
        return f"rate limited (429): {detail}{wait}"
    if isinstance(exc, do.ServerError):
        return f"the API failed ({exc.status}): {detail}; try again later"
    return f"the API refused the request ({exc.status} {exc.error_id}): {detail}"


def _line(exc: BaseException, subject: str | None) -> str:  # noqa: PLR0911
    if isinstance(exc, do.APIStatusError):
        return _status_line(exc, subject)
    if isinstance(exc, do.APITimeoutError):
        return f"timed out: {exc} (see --timeout)"
    if isinstance(exc, do.APIConnectionError):
        return f"cannot reach the API: {exc}"
    if isinstance(exc, do.AmbiguousWriteError):
        return f"{exc}; it may or may not have happened, check before trying again"
    if isinstance(exc, do.DecodeError):
        return f"unexpected answer from the API: {exc}"
    if isinstance(exc, do.DigitalOceanError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}"
    return f"internal error ({type(exc).__name__}: {exc}); run with -v for details"


def first_error(exc: BaseException) -> BaseException:
    """Return the error an exception group stands for: its first leaf that is not a cancellation.

    Sibling tasks cancelled because of it say nothing of their own; anything else is ``exc``.
    """
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    leaves = [first_error(inner) for inner in exc.exceptions]
    meaningful = [leaf for leaf in leaves if not isinstance(leaf, asyncio.CancelledError)]
    return (meaningful or leaves)[0]


def expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure the command line explains (else it is a bug)."""
    return isinstance(exc, CLIError | do.DigitalOceanError | OSError | KeyboardInterrupt)


def describe(exc: BaseException, *, subject: str | None = None) -> tuple[str, int]:
    """Return the one-line message, made :func:`visible`, and exit code for ``exc``.

    ``subject`` names what the command was about (``project 1234...``) for 404s and 412s.
    """
    exc = first_error(exc)
    if isinstance(exc, CLIError):
        return visible(_one_line(str(exc))), exc.code
    if isinstance(exc, do.ValidationError):
        return visible(_one_line(str(exc))), EXIT_USAGE
    line = _line(exc, subject)
    notes = getattr(exc, "__notes__", None) or []
    if notes:
        line += "; " + "; ".join(notes)
    return visible(_one_line(line)), EXIT_FAILURE
