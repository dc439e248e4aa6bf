"""aiohttp's side of one attempt: a body read within the cap, and what a transport error means.

The session's loop sends; this says what came back when nothing usable did (a reset, a TLS
failure, a read that timed out) and reads a body without letting it grow past the cap.
"""

from __future__ import annotations

import aiohttp

from aiodo_projects._retry import Failure
from aiodo_projects.errors import APIConnectionError, APITimeoutError, DigitalOceanError, bounded

__all__ = ["AttemptFailed", "classify", "read_capped", "transport_error"]


class AttemptFailed(Exception):  # noqa: N818 -- internal signal, never escapes the session
    """An attempt got no answer, in a way the retry rules decide on."""

    def __init__(self, failure: Failure, error: DigitalOceanError) -> None:
        self.failure = failure
        self.error = error


def classify(exc: aiohttp.ClientError) -> Failure | None:
    """Say how a transport error failed, or ``None`` when no retry can help (TLS)."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return None
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return Failure.NOT_SENT  # no connection was made: the request never left
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return Failure.TIMEOUT
    return Failure.LOST  # reset, disconnected, truncated: the request may have been read


def transport_error(
    method: str, path: str, exc: aiohttp.ClientError
) -> AttemptFailed | APIConnectionError:
    """Return what to raise for ``exc``: an attempt to decide on, or (TLS) the final error."""
    error = APIConnectionError(bounded(f"{method} {path} failed: {type(exc).__name__}: {exc}"))
    error.__cause__ = exc
    failure = classify(exc)
    if failure is None:
        return error
    if failure is Failure.TIMEOUT:
        error = APITimeoutError(bounded(f"{method} {path} timed out: {exc}"))
        error.__cause__ = exc
    return AttemptFailed(failure, error)


async def read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """Read the body as aiohttp decodes it (gzip, deflate), stopping once over ``cap``.

    The running total counts decoded bytes, so neither a ``Content-Length`` (the size on
    the wire) nor a small compressed body can smuggle a larger one in. A body over the
    cap comes back as its first ``cap + 1`` bytes; the rest is never read, and leaving
    the response unread closes its connection.
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > cap:
            chunks.append(chunk[: len(chunk) - (size - cap - 1)])
            break
        chunks.append(chunk)
    return b"".join(chunks)
