"""The Client's options: the value objects ``Timeout`` and ``RateLimits``, and their checks.

Every function here turns one argument of :class:`~aiodo_projects.Client` into a setting, or
raises a :class:`ValidationError` that names the argument; nothing is sent before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import aiohttp
import attrs

from aiodo_projects._limiter import (
    DEFAULT_BURST_LIMIT,
    DEFAULT_BURST_WINDOW,
    Limiter,
    shared_limiter,
)
from aiodo_projects._validation import check_count, check_seconds, check_token, is_loopback
from aiodo_projects.errors import ValidationError

if TYPE_CHECKING:
    from yarl import URL

__all__ = [
    "RateLimits",
    "Timeout",
    "check_headers",
    "check_limiter",
    "check_timeout",
    "check_trace_configs",
    "token_from",
]

TOKEN_ENV = "DIGITALOCEAN_TOKEN"  # noqa: S105 -- the variable's name, not a secret
# Headers the client sets itself: authentication, the JSON it sends and wants, who it is.
_RESERVED_HEADERS = frozenset({"authorization", "content-type", "accept", "user-agent"})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP token
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # no CR, LF or other control character


def _total(value: object) -> float:
    return check_seconds("Timeout.total", value)


def _attempt(value: object) -> float | None:
    return None if value is None else check_seconds("Timeout.attempt", value)


def _rate_limit_wait(value: object) -> float:
    return check_seconds("Timeout.rate_limit_wait", value, zero=True, infinite=True)


@attrs.frozen
class Timeout:
    """How long a call may take (seconds), as ``Client(timeout=...)``.

    ``total`` bounds a whole call: the rate limiter's waits, every attempt and the backoff
    between them. ``attempt`` (or ``None``) bounds one network attempt inside it, so a hung
    attempt can be retried. A rate-limit wait longer than ``rate_limit_wait`` is not slept:
    the call raises :class:`RateLimitError` at once (0 never waits, ``math.inf`` always does).

    >>> Timeout(total=2.0)
    Timeout(total=2.0, attempt=None, rate_limit_wait=60.0)
    """

    total: float = attrs.field(default=30.0, converter=_total)
    attempt: float | None = attrs.field(default=None, converter=_attempt)
    rate_limit_wait: float = attrs.field(default=60.0, converter=_rate_limit_wait)


def _burst_limit(value: object) -> int:
    return check_count("RateLimits.burst_limit", value, least=1)


def _burst_window(value: object) -> float:
    return check_seconds("RateLimits.burst_window", value)


def _hourly(value: object) -> bool:
    if type(value) is not bool:
        raise ValidationError(f"RateLimits.hourly must be True or False, not {value!r}")
    return value


@attrs.frozen
class RateLimits:
    """The size of the shared rate limiter, as ``Client(rate_limiter=RateLimits(...))``.

    At most ``burst_limit`` requests in any ``burst_window`` seconds (DigitalOcean allows
    250 a minute; 240 leaves room for requests this process does not see) and, with
    ``hourly``, the hourly budget the ``ratelimit-*`` headers report. Every client of one
    token and origin in the process shares one limiter, so they must agree on its size.
    """

    burst_limit: int = attrs.field(default=DEFAULT_BURST_LIMIT, converter=_burst_limit)
    burst_window: float = attrs.field(default=DEFAULT_BURST_WINDOW, converter=_burst_window)
    hourly: bool = attrs.field(default=True, converter=_hourly)


def token_from(token: object) -> str:
    """Return the token given, or the one in ``DIGITALOCEAN_TOKEN``."""
    if token is not None:
        return check_token(token, "token")
    from_env = os.environ.get(TOKEN_ENV)
    if from_env is None or not from_env.strip():
        raise ValidationError(
            f"no API token: pass Client(token=...) or set the {TOKEN_ENV} environment variable"
        )
    return check_token(from_env, f"the {TOKEN_ENV} environment variable")


def check_timeout(timeout: object) -> Timeout:
    """Return ``timeout`` as a :class:`Timeout`; a number is ``Timeout(total=number)``."""
    if isinstance(timeout, Timeout):
        return timeout
    return Timeout(total=check_seconds("timeout", timeout))


def check_limiter(
    base_url: URL, token: str, *, choice: Limiter | RateLimits | bool | Literal["auto"]
) -> Limiter | None:
    """Return the limiter ``Client(rate_limiter=choice)`` uses, or ``None`` when it is off."""
    if isinstance(choice, str) and choice == "auto":
        # DigitalOcean's limits do not apply to a loopback server (the embedded fake, a local
        # mock), which is the only kind plain http may reach: there the limiter is opt-in.
        choice = not is_loopback(base_url.host or "")
    if choice is False:
        return None
    if choice is True:
        choice = RateLimits()
    if isinstance(choice, RateLimits):
        try:
            return shared_limiter(
                str(base_url.origin()),
                token,
                limit=choice.burst_limit,
                window=choice.burst_window,
                hourly=choice.hourly,
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    if not isinstance(choice, Limiter):
        raise ValidationError(
            "rate_limiter must be 'auto', True, False, a RateLimits or an object with acquire,"
            f" release and pause, not {type(choice).__name__}"
        )
    return choice


def check_headers(headers: object) -> dict[str, str]:
    """Return extra request headers, refusing those the client sets and any CR or LF."""
    if not isinstance(headers, Mapping):
        raise ValidationError(
            f"headers must be a mapping of str to str, not {type(headers).__name__}"
        )
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValidationError(f"headers: {name!r} is not a valid header name")
        if name.lower() in _RESERVED_HEADERS:
            raise ValidationError(f"headers: {name} is set by the client and cannot be replaced")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            # The value is not shown: it may be a credential of the caller's.
            raise ValidationError(
                f"headers: the value of {name} must be a string without CR, LF or other"
                " control characters"
            )
        checked[name] = value
    return checked


def check_trace_configs(trace_configs: object) -> list[aiohttp.TraceConfig]:
    """Return the trace configs as a list, each an ``aiohttp.TraceConfig``."""
    if trace_configs is None:
        return []
    if isinstance(trace_configs, str | bytes) or not isinstance(trace_configs, Iterable):
        raise ValidationError("trace_configs must be a list of aiohttp.TraceConfig or None")
    traces = list(trace_configs)
    for trace in traces:
        if not isinstance(trace, aiohttp.TraceConfig):
            raise ValidationError(
                f"trace_configs must hold aiohttp.TraceConfig objects, not {type(trace).__name__}"
            )
    return traces
