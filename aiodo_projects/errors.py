"""The exceptions aiodo_projects raises, all importable from ``aiodo_projects``.

::

    DigitalOceanError
    ├── ValidationError (also ValueError)      bad input, nothing was sent
    ├── ClientClosedError (also RuntimeError)  the Client (or its borrowed session) is closed
    ├── APIConnectionError                     no HTTP response; __cause__ is the aiohttp error
    │   └── APITimeoutError                    the call's deadline passed
    ├── APIStatusError                         .status .error_id .message .request_id .rate_limit
    │   ├── BadRequestError            400
    │   ├── AuthenticationError        401
    │   ├── PermissionDeniedError      403
    │   ├── NotFoundError              404
    │   ├── ConflictError              409
    │   ├── PreconditionFailedError    412   (deleting a project that still has resources)
    │   ├── UnprocessableEntityError   422
    │   ├── RateLimitError             429   .retry_after
    │   └── ServerError                5xx
    ├── DecodeError                    a 2xx body that is not the documented shape; short snippet
    └── AmbiguousWriteError            a write whose outcome is unknown; it was not repeated

Every error carries ``attempts`` (how many requests the call sent: 0 when none left the
client) and ``rate_limit`` (the last :class:`~aiodo_projects.RateLimit` the client saw, or
``None``).

Whatever the server sends, an error stays small and safe to show: the ``message``,
``error_id`` and ``request_id`` of an :class:`APIStatusError` are cut to
:data:`MAX_MESSAGE_LENGTH` characters (the cut ends with ``"…"`` and how much was left out),
and the client replaces its API token by ``***`` in every error it raises and in the errors
chained to it (``__cause__``, ``__context__``), even when a server echoes it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from aiodo_projects._ratelimit import RateLimit

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "DecodeError",
    "DigitalOceanError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
    "ValidationError",
    "bounded",
    "error_class_for_status",
]


MAX_MESSAGE_LENGTH = 500


def bounded(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Return ``text`` cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


class DigitalOceanError(Exception):
    """The base of every error this library raises."""

    attempts: int = 0
    rate_limit: RateLimit | None = None


class ValidationError(DigitalOceanError, ValueError):
    """An argument is invalid; nothing was sent."""


class ClientClosedError(DigitalOceanError, RuntimeError):
    """The Client was closed (or the session it borrows was), so the call sent nothing more."""


class APIConnectionError(DigitalOceanError):
    """No HTTP response was received; ``__cause__`` holds the underlying error."""


class APITimeoutError(APIConnectionError):
    """The call did not complete within its timeout."""


class DecodeError(DigitalOceanError):
    """A successful response whose body is not the documented shape."""

    def __init__(self, message: str, *, snippet: str = "") -> None:
        self.snippet = snippet
        super().__init__(f"{message}; body starts {snippet!r}" if snippet else message)


class AmbiguousWriteError(DigitalOceanError):
    """A write (POST) may or may not have been processed; it was not sent again.

    ``__cause__`` holds what went wrong (a 5xx, a connection lost after sending, a timeout).
    """


class APIStatusError(DigitalOceanError):
    """DigitalOcean answered with an error status."""

    status_code: ClassVar[int | None] = None

    def __init__(
        self,
        status: int,
        error_id: str,
        message: str,
        *,
        request_id: str | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.status = status
        self.error_id = bounded(error_id)
        self.message = bounded(message)
        self.request_id = None if request_id is None else bounded(request_id)
        self.rate_limit = rate_limit
        super().__init__(status, self.error_id, self.message)

    def __str__(self) -> str:
        text = f"{self.status} {self.error_id}: {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        return text


class BadRequestError(APIStatusError):
    """400: the request was malformed."""

    status_code = 400


class AuthenticationError(APIStatusError):
    """401: the token is missing, invalid or revoked."""

    status_code = 401


class PermissionDeniedError(APIStatusError):
    """403: the token lacks the scope this call needs."""

    status_code = 403


class NotFoundError(APIStatusError):
    """404: no such project (or it is not visible to this token)."""

    status_code = 404


class ConflictError(APIStatusError):
    """409: the request conflicts with existing state (for example a duplicate name)."""

    status_code = 409


class PreconditionFailedError(APIStatusError):
    """412: for example, deleting a project that still has resources."""

    status_code = 412


class UnprocessableEntityError(APIStatusError):
    """422: DigitalOcean rejected the values sent."""

    status_code = 422


class RateLimitError(APIStatusError):
    """429, or a rate-limit wait longer than the client's ceiling.

    ``retry_after`` is the number of seconds to wait before trying again, when known.

    When DigitalOcean answered 429, ``status`` is 429. When the client's own rate limiter
    refused to wait (the hourly budget learned from earlier answers is spent, or an earlier
    429 paused every call on the token, for longer than the client waits), nothing was sent
    for it: ``status`` is then :attr:`NOT_SENT` (0) and ``error_id`` says which
    (``"hourly_budget_spent"`` or ``"rate_limit_paused"``).
    """

    NOT_SENT: ClassVar[int] = 0

    status_code = 429

    def __init__(
        self,
        status: int,
        error_id: str,
        message: str,
        *,
        request_id: str | None = None,
        rate_limit: RateLimit | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, error_id, message, request_id=request_id, rate_limit=rate_limit)
        self.retry_after = retry_after

    def __str__(self) -> str:
        if self.status == self.NOT_SENT:  # no status to show: none came
            return f"{self.error_id}: {self.message}"
        return super().__str__()


class ServerError(APIStatusError):
    """5xx: DigitalOcean failed to handle the request."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        PreconditionFailedError,
        UnprocessableEntityError,
        RateLimitError,
    )
    if cls.status_code is not None
}


def error_class_for_status(status: int) -> type[APIStatusError]:
    """Return the exception class for an HTTP error status."""
    if status >= 500:  # noqa: PLR2004
        return ServerError
    return _BY_STATUS.get(status, APIStatusError)
