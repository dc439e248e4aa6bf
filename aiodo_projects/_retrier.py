"""The decisions between attempts: wait for the limiter, then retry, give up or call it ambiguous.

No HTTP here: the session reports how each attempt failed (:class:`Failure`) and this module
applies DESIGN §3 — the retry policy, the retry budget, the rate-limit ceiling, the shared
pause after a 429 — and logs and meters each retry and wait.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from aiodo_projects._limiter import TokenBucketLimiter, WaitTooLong
from aiodo_projects._retry import (
    Failure,
    RetryBudget,
    RetryEvent,
    RetryPolicy,
    WaitEvent,
    human_duration,
)
from aiodo_projects.errors import (
    AmbiguousWriteError,
    APIStatusError,
    APITimeoutError,
    DigitalOceanError,
    RateLimitError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiodo_projects._limiter import Limiter
    from aiodo_projects._ratelimit import RateLimit

__all__ = ["DEFAULT_MAX_RATE_LIMIT_WAIT", "Retrier", "tag"]

logger = logging.getLogger("aiodo_projects")

DEFAULT_MAX_RATE_LIMIT_WAIT = 60.0
_REPORTED_WAIT = 0.001  # shorter limiter waits are the cost of its lock, not waits

E = TypeVar("E", bound=DigitalOceanError)


def tag(error: E, attempts: int, rate_limit: RateLimit | None) -> E:
    """Record on ``error`` how many attempts the call made and the last rate limit seen."""
    error.attempts = attempts
    if error.rate_limit is None:
        error.rate_limit = rate_limit
    return error


def ambiguous(method: str, path: str, cause: DigitalOceanError) -> AmbiguousWriteError:
    """Return the error for a write that may have been processed (raise it ``from cause``)."""
    return AmbiguousWriteError(
        f"{method} {path} may or may not have been processed ({cause}); it was not sent again"
    )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


class Retrier:
    """Applies one client's retry policy, retry budget and rate-limit ceiling."""

    def __init__(
        self,
        *,
        policy: RetryPolicy,
        limiter: Limiter | None,
        max_wait: float,
        timeout: float,
        on_retry: Callable[[RetryEvent], object] | None,
        on_wait: Callable[[WaitEvent], object] | None,
    ) -> None:
        self.policy = policy
        self.budget = RetryBudget(policy)
        self.limiter = limiter
        self.max_wait = max_wait
        self._timeout = timeout
        self._on_retry = on_retry
        self._on_wait = on_wait

    async def acquire(
        self, limiter: Limiter, method: str, path: str, *, attempt: int, deadline: asyncio.Timeout
    ) -> None:
        """Wait for the limiter's permission, within the ceiling and the call's deadline."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        left = (deadline.when() or started) - started
        try:
            await limiter.acquire(min(self.max_wait, left))
        except WaitTooLong as exc:
            raise self._refused(limiter, method, path, exc.seconds) from None
        waited = loop.time() - started
        if waited >= _REPORTED_WAIT:
            logger.debug("%s %s waited %.3f s for the rate limiter", method, path, waited)
            if self._on_wait is not None:
                self._on_wait(WaitEvent(method, path, attempt, waited))

    def _refused(self, limiter: Limiter, method: str, path: str, seconds: float) -> RateLimitError:
        """Return the error for a wait the limiter refused: no 429 came, nothing was sent."""
        why = (
            f"longer than the {self.max_wait:g} s this client waits"
            if seconds > self.max_wait
            else f"past this call's {self._timeout:g} s timeout"
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
        self,
        method: str,
        path: str,
        attempts: int,
        exc: TimeoutError,
        *,
        sending: bool,
        waiting: bool,
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
        error = APITimeoutError(
            f"{method} {path} did not complete within {self._timeout:g} s ({where})"
        )
        error.__cause__ = exc
        if sending and method not in self.policy.idempotent_methods:
            outcome = ambiguous(method, path, error)
            outcome.__cause__ = error
            return outcome
        return error

    def status_failure(self, method: str, status: int) -> Failure | None:
        """Say how an error status failed, or ``None`` when retrying it cannot help."""
        if status == 429:  # noqa: PLR2004
            return Failure.RATE_LIMITED
        if status >= 500:  # noqa: PLR2004
            if method not in self.policy.idempotent_methods:
                return Failure.STATUS  # a write that may have happened: ambiguous
            if status in self.policy.retry_statuses:
                return Failure.STATUS
        return None

    def plan(
        self,
        method: str,
        path: str,
        *,
        attempt: int,
        failure: Failure,
        error: DigitalOceanError,
        deadline: asyncio.Timeout,
    ) -> tuple[float, int]:
        """Return (seconds to sleep, budget spent) before the next attempt, or raise."""
        policy = self.policy
        if not policy.may_retry(method, failure):
            raise ambiguous(method, path, error) from error
        if attempt > policy.max_retries:
            if policy.max_retries:
                error.add_note(f"gave up after {attempt} attempts")
            raise error
        left = (deadline.when() or 0.0) - asyncio.get_running_loop().time()
        delay = self._delay(attempt, error, left)
        cost = self.budget.spend(failure)
        if cost is None:
            error.add_note(
                "not retried: this client's retry budget is spent (the API keeps failing);"
                " it refills as calls succeed"
            )
            raise error
        reason = str(error.status) if isinstance(error, APIStatusError) else type(error).__name__
        logger.debug(
            "%s %s failed (%s, attempt %d); retrying in %.3f s",
            method,
            path,
            reason,
            attempt,
            delay,
        )
        if self._on_retry is not None:
            self._on_retry(RetryEvent(method, path, attempt, reason, delay))
        if failure is Failure.RATE_LIMITED and self.limiter is not None:
            self.limiter.pause(delay)  # every task on this token waits, once, in acquire
            return 0.0, cost
        return delay, cost

    def _delay(self, attempt: int, error: DigitalOceanError, left: float) -> float:
        """Return the wait before the next attempt, or raise ``error`` if it is too long."""
        policy = self.policy
        if isinstance(error, RateLimitError):
            delay = error.retry_after
            if delay is None:  # no Retry-After, budget not exhausted: back off, no jitter
                delay = min(policy.backoff_cap, policy.backoff_base * 2.0 ** (attempt - 1))
                error.retry_after = delay
            if delay > self.max_wait:
                error.add_note(
                    f"not retried: the {human_duration(delay)} wait is over the"
                    f" {self.max_wait:g} s ceiling"
                )
                raise error
        else:
            delay = policy.backoff(attempt - 1)
        if delay >= left:
            error.add_note(f"not retried: this call's {self._timeout:g} s timeout would pass")
            raise error
        return delay
