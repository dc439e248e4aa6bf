"""An answered attempt in, the call's outcome out: a decoded value or a typed error (pure).

:func:`decipher_response` is the whole protocol of a response: no aiohttp, no I/O, no clock
of its own. The session reads the status, the headers and the body (capped), and this module
says what they mean: the model the caller asked for, ``None`` for a 204, the
:class:`APIStatusError` of an error status, a :class:`DecodeError` for a 2xx body that is not
the documented JSON, or an :class:`AmbiguousWriteError` for a write whose 2xx answer cannot
be read (it was processed, but what it made is unknown).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar, overload

from aiodo_projects._convert import converter, snippet
from aiodo_projects._ratelimit import rate_limit_wait
from aiodo_projects.errors import (
    AmbiguousWriteError,
    APIStatusError,
    DecodeError,
    DigitalOceanError,
    RateLimitError,
    error_class_for_status,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiodo_projects._ratelimit import RateLimit

__all__ = ["IDEMPOTENT_METHODS", "ambiguous", "decipher_response", "status_error"]

T = TypeVar("T")

# Methods whose repetition has the effect of one call: an answer lost on the way may be
# asked for again. POST (create, assign) is not among them.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


def ambiguous(method: str, path: str, cause: DigitalOceanError) -> AmbiguousWriteError:
    """Return the error for a write that may have been processed (raise it ``from cause``)."""
    return AmbiguousWriteError(
        f"{method} {path} may or may not have been processed ({cause}); it was not sent again"
    )


@overload
def decipher_response(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    cut_at: int | None,
    expect: type[T],
    rate_limit: RateLimit | None = ...,
    now: float = ...,
    idempotent_methods: frozenset[str] = ...,
) -> T: ...


@overload
def decipher_response(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    cut_at: int | None,
    expect: None,
    rate_limit: RateLimit | None = ...,
    now: float = ...,
    idempotent_methods: frozenset[str] = ...,
) -> None: ...


def decipher_response(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    cut_at: int | None,
    expect: Any,
    rate_limit: RateLimit | None = None,
    now: float = 0.0,
    idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS,
) -> Any:
    """Return what an answered attempt means, or raise it as a typed error.

    ``cut_at`` is the cap in bytes when the body was cut there (reading stopped), else
    ``None``. ``expect`` is the type of a 2xx answer (``None``: no body is wanted, as for a
    delete). ``rate_limit`` is the last one seen and ``now`` the local Unix time, used only
    to time a 429 that has no ``Date``.
    """
    if not 200 <= status < 300:  # noqa: PLR2004
        raise status_error(status, headers, body, rate_limit=rate_limit, now=now)
    try:
        return _decode(method, path, status, headers, body, cut_at=cut_at, expect=expect)
    except DecodeError as exc:
        if method in idempotent_methods:
            raise
        # The server accepted the write but its answer is unreadable: what it made (which
        # project, which id) is unknown, so the outcome is ambiguous.
        raise ambiguous(method, path, exc) from exc


def _decode(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    cut_at: int | None,
    expect: type[T] | None,
) -> T | None:
    if cut_at is not None:
        raise DecodeError(
            f"{method} {path} answered {status} with {_over_cap(headers, cut_at)};"
            " reading stopped there"
        )
    if not body.strip():
        if status == 204 and expect is None:  # noqa: PLR2004
            return None
        raise DecodeError(f"{method} {path} answered {status} with an empty body")
    content_type = headers.get("Content-Type", "")
    if "json" not in content_type.lower():
        raise DecodeError(
            f"{method} {path} answered {status} with {content_type or 'no'}"
            " content type instead of JSON",
            snippet=snippet(body),
        )
    if expect is None:
        return None
    return converter.structure(body, expect)


def _over_cap(headers: Mapping[str, str], cap: int) -> str:
    encoding = headers.get("Content-Encoding", "identity").strip().lower()
    length = headers.get("Content-Length", "")
    if encoding != "identity":
        return f"a {encoding} body that decodes to more than the {cap}-byte cap"
    if length.isdigit():
        return f"a body of {length} bytes, over the {cap}-byte cap"
    return f"a body over the {cap}-byte cap"


def status_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    rate_limit: RateLimit | None = None,
    now: float = 0.0,
) -> APIStatusError:
    """Build the typed error for an error status, tolerating any body."""
    error_id, message, request_id = _error_fields(status, headers, body)
    cls = error_class_for_status(status)
    kwargs: dict[str, Any] = {"request_id": request_id, "rate_limit": rate_limit}
    if cls is RateLimitError:
        kwargs["retry_after"] = rate_limit_wait(headers, rate_limit, now)
    error = cls(status, error_id, message, **kwargs)  # the class bounds each field
    error.attempts = 1
    return error


def _error_fields(
    status: int, headers: Mapping[str, str], body: bytes
) -> tuple[str, str, str | None]:
    request_id = headers.get("x-request-id")
    error_id, message = f"http_{status}", ""
    try:
        data = json.loads(body) if body else None
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("id"), str):
            error_id = data["id"]
        if isinstance(data.get("message"), str):
            message = data["message"]
        if isinstance(data.get("request_id"), str):
            request_id = data["request_id"]
    if not message:
        message = snippet(body) or "(no message)"
    return error_id, message, request_id
