"""Whether a failed attempt is tried again, after how long, or how the call ends (pure).

An attempt that may have been processed is repeated only when the method is idempotent; a 429
or a connection that failed before anything was sent may be repeated whatever the method.
:func:`decide_retry` is the one decision between attempts; the session's loop carries it out
(sleeps, pauses the shared limiter, meters the retry). The wording of the errors a call ends
with when the limiter refuses a wait or the deadline passes is here too.
"""

from __future__ import annotations

import enum
import math
import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from aiodo_projects._limiter import TokenBucketLimiter
from aiodo_projects._protocol import IDEMPOTENT_METHODS, ambiguous
from aiodo_projects.errors import (
    APIStatusError,
    APITimeoutError,
    DigitalOceanError,
    RateLimitError,
    ValidationError,
)

if TYPE_CHECKING:
    from aiodo_projects._limiter import Limiter

__all__ = [
    "Failure",
    "Retry",
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "WaitEvent",
    "decide_retry",
    "human_duration",
    "refused",
    "status_failure",
    "timed_out",
]

_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class Failure(enum.Enum):
    """How an attempt failed, as far as retrying is concerned."""

    NOT_SENT = "not_sent"  # the connection failed before the request left: nothing processed
    LOST = "lost"  # the connection broke once the request was sent: it may have been processed
    TIMEOUT = "timeout"  # the attempt timed out: it may have been processed
    STATUS = "status"  # a retryable error status (5xx): it may have been processed
    RATE_LIMITED = "rate_limited"  # 429: nothing was processed


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if type(value) not in {int, float} or not value >= 0 or not math.isfinite(value):
        msg = f"RetryPolicy.{attribute.name} must be a finite number >= 0, not {value!r}"
        raise ValidationError(msg)


def _count(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 0:
        msg = f"RetryPolicy.{attribute.name} must be an int >= 0, not {value!r}"
        raise ValidationError(msg)


@attrs.frozen
class RetryPolicy:
    """How the client backs off, what it retries and how much (a value object).

    How many times is ``Client(max_retries=...)``. A transient failure is retried after a
    full-jitter backoff, ``uniform(0, min(backoff_cap, backoff_base * 2**k))`` for the k-th
    retry. ``retry_statuses`` are the error statuses that count as transient, and
    ``idempotent_methods`` the methods repeated after a failure that may have been processed;
    any other method (POST) is repeated only after a 429 or a connection that failed before it
    was sent.

    The retry budget is a token bucket per client (like botocore's "standard" mode): each
    retry takes ``retry_cost`` tokens (``timeout_retry_cost`` after a timeout) from
    ``retry_budget``, each call that succeeds gives back what its retries took (or one token),
    and once the bucket is empty failures are raised at once instead of retried.
    """

    backoff_base: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_cap: float = attrs.field(default=8.0, validator=_non_negative)
    retry_statuses: frozenset[int] = attrs.field(default=_TRANSIENT_STATUSES, converter=frozenset)
    idempotent_methods: frozenset[str] = attrs.field(
        default=IDEMPOTENT_METHODS, converter=frozenset
    )
    retry_budget: int = attrs.field(default=500, validator=_count)
    retry_cost: int = attrs.field(default=5, validator=_count)
    timeout_retry_cost: int = attrs.field(default=10, validator=_count)

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

    def cost(self, failure: Failure) -> int:
        """Return the cost of one retry after ``failure`` (a 429 is the limiter's business: 0)."""
        if failure is Failure.RATE_LIMITED:
            return 0
        return self._timeout_cost if failure is Failure.TIMEOUT else self._cost

    def spend(self, cost: int) -> None:
        """Take ``cost`` tokens for a retry that :func:`decide_retry` allowed."""
        self.tokens -= cost

    def refund(self, spent: int) -> None:
        """Give back what a successful call's retries took, or one token if it took none."""
        self.tokens = min(self._capacity, self.tokens + (spent or 1))


def status_failure(method: str, status: int, policy: RetryPolicy) -> Failure | None:
    """Say how an error status failed, or ``None`` when retrying it cannot help."""
    if status == 429:  # noqa: PLR2004
        return Failure.RATE_LIMITED
    if status >= 500:  # noqa: PLR2004
        if method not in policy.idempotent_methods:
            return Failure.STATUS  # a write that may have happened: ambiguous
        if status in policy.retry_statuses:
            return Failure.STATUS
    return None


@attrs.frozen
class Retry:
    """Try again after ``delay`` seconds; ``shared``: the wait is a 429's, for every call.

    A shared wait is taken by pausing the rate limiter, when there is one, so that every
    call on the token waits once instead of each finding the 429 for itself. ``cost`` is the
    retry budget this retry takes; ``reason`` says what failed, for logs and meters.
    """

    delay: float
    shared: bool
    cost: int
    reason: str


def decide_retry(
    method: str,
    path: str,
    failure: Failure,
    attempt: int,
    error: DigitalOceanError,
    *,
    policy: RetryPolicy,
    max_retries: int,
    budget: RetryBudget,
    left: float,
    max_wait: float,
    timeout: float,
) -> Retry:
    """Return how to retry after attempt number ``attempt`` failed, or raise the call's error.

    ``left`` is the time left before the call's deadline, ``max_wait`` the longest rate-limit
    wait accepted and ``timeout`` the call's whole budget (for the message).
    """
    if not policy.may_retry(method, failure):
        raise ambiguous(method, path, error) from error
    if attempt > max_retries:
        if max_retries:
            error.add_note(f"gave up after {attempt} attempts")
        raise error
    if isinstance(error, RateLimitError):
        delay = error.retry_after
        if delay is None:  # no Retry-After, budget not exhausted: back off, no jitter
            delay = min(policy.backoff_cap, policy.backoff_base * 2.0 ** (attempt - 1))
            error.retry_after = delay
        if delay > max_wait:
            error.add_note(
                f"not retried: the {human_duration(delay)} wait is over the {max_wait:g} s ceiling"
            )
            raise error
    else:
        delay = policy.backoff(attempt - 1)
    if delay >= left:
        error.add_note(f"not retried: this call's {timeout:g} s timeout would pass")
        raise error
    cost = budget.cost(failure)
    if cost > budget.tokens:
        error.add_note(
            "not retried: this client's retry budget is spent (the API keeps failing);"
            " it refills as calls succeed"
        )
        raise error
    reason = str(error.status) if isinstance(error, APIStatusError) else type(error).__name__
    return Retry(delay=delay, shared=failure is Failure.RATE_LIMITED, cost=cost, reason=reason)


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def refused(
    limiter: Limiter, method: str, path: str, seconds: float, *, max_wait: float, timeout: float
) -> RateLimitError:
    """Return the error for a wait the limiter refused: no 429 came, nothing was sent."""
    why = (
        f"longer than the {max_wait:g} s this client waits"
        if seconds > max_wait
        else f"past this call's {timeout:g} s timeout"
    )
    wait = human_duration(seconds)
    if isinstance(limiter, TokenBucketLimiter) and limiter.remaining == 0:
        error_id = "hourly_budget_spent"
        resets = datetime.now(UTC) + timedelta(seconds=seconds)
        cause = (
            "the hourly request budget learned from earlier answers is spent;"
            f" it resets at {resets:%H:%M:%S} UTC, in {wait}"
        )
    elif isinstance(limiter, TokenBucketLimiter):
        error_id = "rate_limit_paused"
        cause = f"an earlier 429 paused every call on this token for {wait} more"
    else:
        error_id = "rate_limit_wait"
        cause = f"the client-side rate limiter would hold it for {wait}"
    message = f"{method} {path} was not sent: {cause}, {why}"
    return RateLimitError(RateLimitError.NOT_SENT, error_id, message, retry_after=seconds)


def timed_out(
    method: str,
    path: str,
    attempts: int,
    exc: TimeoutError,
    *,
    timeout: float,
    sending: bool,
    waiting: bool,
    idempotent_methods: frozenset[str],
) -> DigitalOceanError:
    """Return the error for a call whose deadline passed, saying where the time went.

    ``attempts`` were sent; the call was ``waiting`` for the limiter, ``sending`` (an
    answer had not come: for a write, the outcome is ambiguous), or between attempts.
    """
    if waiting:
        where = "waiting for the client-side rate limiter, " + (
            "nothing sent" if attempts == 0 else f"after {_attempts(attempts)} sent"
        )
    elif sending:
        where = f"waiting for the answer to attempt {attempts}"
    else:
        where = f"between attempts, after {_attempts(attempts)}"
    error = APITimeoutError(f"{method} {path} did not complete within {timeout:g} s ({where})")
    error.__cause__ = exc
    if sending and method not in idempotent_methods:
        outcome = ambiguous(method, path, error)
        outcome.__cause__ = error
        return outcome
    return error


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
