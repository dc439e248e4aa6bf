"""The rate limiter's arithmetic: a burst bucket, an hourly bucket and a shared pause (pure)."""

from __future__ import annotations

import math
from collections import deque

from aiodo_projects._ratelimit import HOURLY_WINDOW

__all__ = ["Buckets"]

_RESOLUTION = 1e-6  # seconds
# A report's reset is never more than an hour ahead of the server's clock (give or take the
# rounding of two whole-second headers, Date and ratelimit-reset): a later one is not believed.
_LONGEST_RESET = HOURLY_WINDOW + 2.0


class Buckets:
    """The limiter's arithmetic: a burst bucket, an hourly bucket and a shared pause (pure).

    Times are seconds on one monotonic clock that the caller passes in, so the logic is
    tested with a fake clock. Not thread-safe: the async limiter holds a lock around it.

    *Burst*: ``limit`` tokens. A send spends one, and it returns exactly ``window`` seconds
    after that attempt ended. DigitalOcean's per-minute limit is a sliding log of arrivals,
    and a request arrives at the latest when its answer comes back, so the same token is never
    used twice within ``window`` seconds of the server's log: at most ``limit`` requests are
    ever counted in any trailing window. (Counting from the send instead would let network
    jitter put ``limit + 1`` arrivals in one window.)

    *Hourly*: the budget the server reports; sends in flight count against it. A report
    replaces the one believed when it is newer (a later ``ratelimit-reset``), lower (a smaller
    ``ratelimit-remaining``: answers to concurrent requests arrive in any order, and the lower
    figure is the safe one), or when the believed report's reset has passed (it no longer
    describes the present). When the budget is spent, sends wait until ``ratelimit-reset``
    (``reset_in`` seconds by the server's own clock), when at least one counted request
    expires. Before the first answer only one send at a time goes out, to learn the budget
    without spending it blindly; while no answer has carried the headers, the hourly bucket
    holds nothing back.

    A report cannot hold sends back for longer than DigitalOcean's hourly window: a reset
    further ahead is taken as one window ahead, and such a report is believed only until
    any other report arrives, so one hostile or broken answer cannot stop the token for good.

    *Pause*: after a 429 nobody sends until the pause ends.
    """

    __slots__ = (
        "_hourly",
        "_remaining",
        "_reset_at",
        "_reset_epoch",
        "_returns",
        "in_flight",
        "limit",
        "paused_until",
        "probing",
        "window",
    )

    def __init__(self, *, limit: int, window: float, hourly: bool = True) -> None:
        if limit < 1:
            raise ValueError(f"the burst limit must be at least 1, not {limit!r}")
        if not (window > 0 and math.isfinite(window)):
            raise ValueError(f"the burst window must be a positive number, not {window!r}")
        self.limit = limit
        self.window = window
        self._hourly = hourly
        self._returns: deque[float] = deque()  # when tokens of ended attempts come back
        self.in_flight = 0
        self.paused_until = -math.inf
        self.probing = hourly  # no answer seen yet
        self._remaining: int | None = None  # None: no hourly budget known
        self._reset_epoch = -math.inf
        self._reset_at: float | None = None

    @property
    def remaining(self) -> int | None:
        """The hourly budget as last learned (before subtracting sends in flight)."""
        return self._remaining

    def delay(self, now: float) -> float:
        """Return 0.0 if one send may go now, else how long to wait.

        ``math.inf`` means the wait ends only when a send in flight is answered.
        """
        returns = self._returns
        # A timer may fire a hair early (clock resolution, float rounding): a token due back
        # within a microsecond counts as back, rather than costing another loop round trip.
        while returns and returns[0] <= now + _RESOLUTION:
            returns.popleft()
        wait = self.paused_until - now
        if self.in_flight + len(returns) >= self.limit:
            # The next token back is the oldest returning one, or one still in flight.
            wait = max(wait, returns[0] - now if returns else math.inf)
        if self._hourly:
            wait = max(wait, self._hourly_delay(now))
        return wait if wait > _RESOLUTION else 0.0

    def _hourly_delay(self, now: float) -> float:
        if self.probing:
            return 0.0 if self.in_flight == 0 else math.inf
        remaining = self._remaining
        if remaining is None:
            return 0.0
        if self._reset_at is not None and now >= self._reset_at:
            # The oldest counted request has expired: at least one more send is allowed.
            remaining = self._remaining = remaining + 1
            self._reset_at = None
        if remaining > self.in_flight:
            return 0.0
        if self._reset_at is not None:
            return self._reset_at - now
        # No known reset: an answer in flight will tell; with none in flight, one send asks.
        return math.inf if self.in_flight else 0.0

    def blocking_wait(self, now: float) -> float:
        """Return the part of the wait the server imposed, or 0.0.

        That is a 429 pause, or the time to ``ratelimit-reset`` once the server said no
        budget remains (while sends are in flight, their answers may still say otherwise).
        """
        wait = self.paused_until - now
        reset_at = self._reset_at
        if self._hourly and self._remaining == 0 and reset_at is not None:
            wait = max(wait, reset_at - now)
        return max(wait, 0.0)

    def take(self) -> None:
        """Spend one token of each bucket for a send (after ``delay`` gave 0)."""
        self.in_flight += 1

    def done(
        self,
        now: float,
        *,
        answered: bool,
        remaining: int | None = None,
        reset_epoch: float = 0.0,
        reset_in: float = 0.0,
    ) -> None:
        """Note that an attempt ended, with an answer or not, with the hourly figures or not.

        ``remaining`` and ``reset_epoch`` are the ``ratelimit-remaining`` and
        ``ratelimit-reset`` of the answer, ``reset_in`` the seconds until that reset by the
        server's own clock (at most about :data:`HOURLY_WINDOW` is believed). An answer without
        them still counted against the server's budget, so a known budget goes down by one.
        """
        if self.in_flight > 0:
            self.in_flight -= 1
            self._returns.append(now + self.window)
        if not answered:
            return  # nothing learned; while probing, the next send probes
        self.probing = False
        known = self._remaining
        if remaining is None:
            if known is not None:
                self._remaining = max(0, known - 1)
            return
        if remaining < 0:
            return  # not a budget: the report is ignored
        if not 0.0 <= reset_in <= _LONGEST_RESET:  # NaN included
            # Counted from the server's own clock, a reset beyond one window is impossible.
            # Believe it for one window at most, and only until another report comes.
            reset_in = HOURLY_WINDOW if not reset_in < 0.0 else 0.0
            reset_epoch = -math.inf
        expired = self._reset_at is None or now >= self._reset_at
        if known is None or expired or remaining < known or reset_epoch > self._reset_epoch:
            self._remaining = remaining
            self._reset_epoch = reset_epoch
            self._reset_at = now + reset_in

    def pause(self, now: float, seconds: float) -> None:
        """Hold every send for ``seconds`` from ``now`` (a pause never shortens another)."""
        self.paused_until = max(self.paused_until, now + seconds)
