"""Retry decisions, ``Retry-After`` parsing, backoff and the retry budget (pure, no I/O).

The rules are DESIGN §3: an attempt that may have been processed is repeated only when the
method is idempotent; a 429 or a connection that failed before anything was sent may be
repeated whatever the method. Waits the server asks for are computed against the response's
``Date`` header, so a local clock that is off does not matter.
"""

from __future__ import annotations

import enum
import math
import random
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiodo_projects._ratelimit import RateLimit

__all__ = [
    "Failure",
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "WaitEvent",
    "human_duration",
    "parse_http_date",
    "rate_limit_wait",
    "reset_in_seconds",
    "retry_after_seconds",
]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class Failure(enum.Enum):
    """How an attempt failed, as far as retrying is concerned."""

    NOT_SENT = "not_sent"  # the connection failed before the request left: nothing processed
    LOST = "lost"  # the connection broke once the request was sent: it may have been processed
    TIMEOUT = "timeout"  # the attempt timed out: it may have been processed
    STATUS = "status"  # a retryable error status (5xx): it may have been processed
    RATE_LIMITED = "rate_limited"  # 429: nothing was processed


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value >= 0 or not math.isfinite(value):
        msg = f"{attribute.name} must be a finite number >= 0, not {value!r}"
        raise ValueError(msg)


@attrs.frozen
class RetryPolicy:
    """What the client retries, how often and how long it backs off (a value object).

    ``max_retries`` repeats after the first attempt (0 turns retries off). A transient
    failure is retried after a full-jitter backoff, ``uniform(0, min(backoff_cap,
    backoff_base * 2**k))`` for the k-th retry. ``retry_statuses`` are the error statuses
    that count as transient, and ``idempotent_methods`` the methods repeated after a failure
    that may have been processed; any other method (POST) is repeated only after a 429 or a
    connection that failed before it was sent. ``attempt_timeout`` (seconds, or ``None``)
    bounds each attempt inside the call's own timeout, so a hung attempt can be retried.

    The retry budget is a token bucket per client (like botocore's "standard" mode): each
    retry takes ``retry_cost`` tokens (``timeout_retry_cost`` after a timeout) from
    ``retry_budget``, each call that succeeds gives back what its retries took (or one token),
    and once the bucket is empty failures are raised at once instead of retried.
    """

    max_retries: int = attrs.field(default=3)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_cap: float = attrs.field(default=8.0, validator=_non_negative)
    retry_statuses: frozenset[int] = attrs.field(default=_TRANSIENT_STATUSES, converter=frozenset)
    idempotent_methods: frozenset[str] = attrs.field(default=_IDEMPOTENT, converter=frozenset)
    attempt_timeout: float | None = attrs.field(default=None)
    retry_budget: int = attrs.field(default=500)
    retry_cost: int = attrs.field(default=5)
    timeout_retry_cost: int = attrs.field(default=10)

    @max_retries.validator
    @retry_budget.validator
    @retry_cost.validator
    @timeout_retry_cost.validator
    def _check_count(self, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            msg = f"{attribute.name} must be an int >= 0, not {value!r}"
            raise ValueError(msg)

    @attempt_timeout.validator
    def _check_attempt_timeout(self, _: attrs.Attribute[float | None], value: float | None) -> None:
        if value is not None and not (value > 0 and math.isfinite(value)):
            msg = f"attempt_timeout must be a positive number of seconds or None, not {value!r}"
            raise ValueError(msg)

    def may_retry(self, method: str, failure: Failure) -> bool:
        """Whether an attempt that failed this way may be repeated for this method.

        A 429 and a connection that never carried the request were not processed, so any
        method may be repeated; anything else only for an idempotent method.
        """
        if failure is Failure.RATE_LIMITED or failure is Failure.NOT_SENT:
            return True
        return method in self.idempotent_methods

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """Return the full-jitter delay before retry number ``retry`` (0 for the first)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** min(retry, 64))
        return (rng or _RNG).uniform(0.0, ceiling)


_RNG = random.Random()  # noqa: S311 -- jitter, not cryptography


class RetryBudget:
    """The retry token bucket of one client (see :class:`RetryPolicy`)."""

    __slots__ = ("_capacity", "_cost", "_timeout_cost", "tokens")

    def __init__(self, policy: RetryPolicy) -> None:
        self._capacity = policy.retry_budget
        self._cost = policy.retry_cost
        self._timeout_cost = policy.timeout_retry_cost
        self.tokens = policy.retry_budget

    def __repr__(self) -> str:
        return f"<RetryBudget {self.tokens}/{self._capacity}>"

    def spend(self, failure: Failure) -> int | None:
        """Take the cost of one retry after ``failure``; return it, or ``None`` when short."""
        if failure is Failure.RATE_LIMITED:
            return 0  # a 429 is the limiter's business, not a sign of a failing API
        cost = self._timeout_cost if failure is Failure.TIMEOUT else self._cost
        if cost > self.tokens:
            return None
        self.tokens -= cost
        return cost

    def refund(self, spent: int) -> None:
        """Give back what a successful call's retries took, or one token if it took none."""
        self.tokens = min(self._capacity, self.tokens + (spent or 1))


# -- waits the server asks for ----------------------------------------------------------------


def parse_http_date(value: str | None) -> float | None:
    """Parse an HTTP date (``Date``, ``Retry-After``) into Unix seconds, or ``None``."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # RFC 9110 dates are GMT; a naive one came from "-0000"
        return None
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):  # pragma: no cover - platform limits
        return None


def _server_now(headers: Mapping[str, str], local_now: float) -> float:
    server = parse_http_date(headers.get("Date"))
    return local_now if server is None else server


def retry_after_seconds(headers: Mapping[str, str], local_now: float) -> float | None:
    """Return how long ``Retry-After`` asks to wait, or ``None`` when absent or garbled.

    Delay-seconds may carry decimals; negative, infinite and NaN values are ignored. An HTTP
    date is measured from the response's ``Date`` (the local clock only when there is none),
    and a date in the past means no wait.
    """
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        when = parse_http_date(value)
        if when is None:
            return None
        return max(0.0, when - _server_now(headers, local_now))
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def reset_in_seconds(reset_epoch: float, headers: Mapping[str, str], local_now: float) -> float:
    """Return the seconds until ``ratelimit-reset``, by the server's ``Date`` (never negative)."""
    return max(0.0, reset_epoch - _server_now(headers, local_now))


def rate_limit_wait(
    headers: Mapping[str, str], rate_limit: RateLimit | None, local_now: float
) -> float | None:
    """Return how long a 429 asks to wait, or ``None`` when it does not say.

    That is ``Retry-After``, else, when the hourly budget is spent, ``ratelimit-reset``.
    """
    seconds = retry_after_seconds(headers, local_now)
    if seconds is None and rate_limit is not None and rate_limit.remaining == 0:
        seconds = reset_in_seconds(rate_limit.reset.timestamp(), headers, local_now)
    return seconds


def human_duration(seconds: float) -> str:
    """Say a wait in units read at a glance: ``"0.5 s"``, ``"58 min 50 s"``, ``"2 h 5 min"``."""
    if not math.isfinite(seconds):
        return f"{seconds} s"
    if seconds < 1:
        return f"{seconds:.2g} s"
    if seconds < 10:  # noqa: PLR2004
        return f"{round(seconds, 1):g} s"
    whole = round(seconds)
    if whole < 60:  # noqa: PLR2004
        return f"{whole} s"
    if whole < 3600:  # noqa: PLR2004
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


# -- what applications can meter ----------------------------------------------------------------


@attrs.frozen
class RetryEvent:
    """An attempt failed and the call will try again after ``delay`` seconds.

    ``attempt`` is the number of the attempt that failed (1 for the first), ``reason`` what
    went wrong: an HTTP status such as ``"503"`` or ``"429"``, or an error class name.
    """

    method: str
    path: str
    attempt: int
    reason: str
    delay: float


@attrs.frozen
class WaitEvent:
    """The rate limiter held a call for ``seconds`` before its attempt number ``attempt``."""

    method: str
    path: str
    attempt: int
    seconds: float
