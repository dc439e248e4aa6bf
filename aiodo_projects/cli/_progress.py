"""Progress a person can read: per account, done/total, rate, ETA and what it waits for.

Each account's audit reports to an :class:`AccountWatch`, which also sees every request end
(an aiohttp trace) and every limiter wait (the client's ``on_wait``). From that and the
client's rate-limit figures it says what the audit is waiting for:

- ``rate limit: next request in 41 s``: the last ``burst`` requests were sent within the
  burst window, and the next may go when the oldest of them leaves it;
- ``hourly budget spent: resumes 14:05 UTC``: nothing is left of the hour's budget, and
  the limiter waits for ``ratelimit-reset``.

The ETA is the longer of two figures: the requests left at the rate of the last minute, and
the least time the limits allow for them (:func:`~aiodo_projects.cli._estimate.minimum_seconds`),
so it does not promise a pace the hourly budget cannot give. :class:`Screen` redraws one line
per account twice a second on a terminal (a countdown must move while nothing else does),
and draws nothing elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TextIO

import aiohttp

import aiodo_projects as do
from aiodo_projects.cli._estimate import HOUR, Limits, duration, minimum_seconds
from aiodo_projects.cli._visible import visible

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["AccountWatch", "Progress", "Screen"]

_REDRAW = 0.5  # seconds between redraws: a countdown in whole seconds moves every redraw


class Progress(Protocol):
    """What one account's audit reports as it goes."""

    def start(self, *, done: int, total: int | None) -> None:
        """Say how much is done already (on resume) and how much there is, if known."""

    def set_total(self, total: int | None) -> None:
        """Set how many projects there are, once known."""

    def advance(self) -> None:
        """Count one project done."""


class AccountWatch:
    """One account's progress, requests and waits; reads its client's limiter and headers."""

    def __init__(
        self,
        name: str,
        *,
        burst: int,
        window: float,
        hour: float = HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.done = 0
        self.total: int | None = None
        self.waits = 0
        self.waited = 0.0
        self.client: do.Client | None = None
        self._burst, self._window, self._hour = burst, window, hour
        self._clock = clock
        self._started = clock()
        self._resumed_at = 0
        self._ends: deque[float] = deque()  # when recent requests ended (the burst window)
        self._finished: deque[tuple[float, int]] = deque()  # (time, done) over the last window
        self.finished_state = ""

    # -- Progress ------------------------------------------------------------------------

    def start(self, *, done: int, total: int | None) -> None:
        """Say how much is done already and how much there is, if known."""
        self.done = self._resumed_at = done
        self.total = total

    def set_total(self, total: int | None) -> None:
        """Set how many projects there are, once known."""
        self.total = total

    def advance(self) -> None:
        """Count one project done."""
        self.done += 1
        now = self._clock()
        self._finished.append((now, self.done))
        while len(self._finished) > 1 and self._finished[0][0] < now - max(self._window, 10.0):
            self._finished.popleft()

    # -- what the client tells -----------------------------------------------------------

    def trace_config(self) -> aiohttp.TraceConfig:
        """Return a trace that notes when each request ends (answered or not)."""
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(self._request_ended)
        trace.on_request_exception.append(self._request_ended)
        return trace

    async def _request_ended(self, *_: object) -> None:
        now = self._clock()
        self._ends.append(now)
        while len(self._ends) > self._burst or (self._ends and self._ends[0] <= now - self._window):
            self._ends.popleft()

    def on_wait(self, event: do.WaitEvent) -> None:
        """Count a limiter wait (the client's ``on_wait``)."""
        self.waits += 1
        self.waited += event.seconds

    # -- what it shows --------------------------------------------------------------------

    def rate(self) -> float:
        """Projects done per second over the last window (since the start at first)."""
        now = self._clock()
        if len(self._finished) > 1:
            (first, before), (_, after) = self._finished[0], self._finished[-1]
            if now > first:
                return (after - before) / (now - first)
        elapsed = now - self._started
        return (self.done - self._resumed_at) / elapsed if elapsed > 0 else 0.0

    def waiting_for(self, now_utc: datetime | None = None) -> str:
        """Say what the audit is waiting for, or ``""`` when it is not waiting."""
        limiter = None if self.client is None else self.client.rate_limiter
        if not isinstance(limiter, do.TokenBucketLimiter) or not limiter.waiting:
            return ""
        limit = None if self.client is None else self.client.rate_limit
        remaining = limiter.remaining
        if limit is not None and remaining is not None and remaining - limiter.in_flight <= 0:
            reset = limit.reset.astimezone(UTC)
            now_utc = now_utc or datetime.now(UTC)
            if reset > now_utc:
                shown = reset + timedelta(seconds=59) if reset.second else reset
                return f"hourly budget spent: resumes {shown:%H:%M} UTC"
        now = self._clock()
        if len(self._ends) >= self._burst:
            seconds = max(0.0, self._ends[0] + self._window - now)
            return f"rate limit: next request in {seconds:.0f} s"
        return "waiting for the rate limiter"

    def eta(self) -> float | None:
        """Seconds until the account is done, by its pace and by the limits; ``None``: unknown."""
        if self.total is None:
            return None
        left = max(0, self.total - self.done)
        if not left:
            return 0.0
        rate = self.rate()
        by_rate = left / rate if rate > 0 else 0.0
        limit = None if self.client is None else self.client.rate_limit
        limits = Limits(burst=self._burst, window=self._window, hour=self._hour)
        if limit is not None:
            reset_in = max(0.0, (limit.reset - datetime.now(UTC)).total_seconds())
            limits = Limits(
                burst=self._burst,
                window=self._window,
                hourly=max(1, limit.limit),
                remaining=min(max(0, limit.remaining), max(1, limit.limit)),
                reset_in=min(reset_in, self._hour),
                hour=self._hour,
            )
        return max(by_rate, minimum_seconds(left, limits))

    def line(self, width: int) -> str:
        """Return this account's progress line."""
        total = "?" if self.total is None else f"{self.total:,}"
        parts = [f"{visible(self.name)}: {self.done:,}/{total}"]
        if self.total:
            parts.append(f"{100 * self.done // self.total}%")
        parts.append(f"{self.rate():.1f}/s")
        if self.finished_state:
            parts.append(self.finished_state)
        else:
            eta = self.eta()
            if eta is not None:
                parts.append(f"ETA {duration(eta).removeprefix('about ')}")
            waiting = self.waiting_for()
            if waiting:
                parts.append(waiting)
        return "  ".join(parts)[:width]


class Screen:
    """Draws one line per account on a terminal, redrawn in place; nothing elsewhere."""

    def __init__(self, watches: Sequence[AccountWatch], stream: TextIO, title: str) -> None:
        self._watches = watches
        self._stream = stream
        self._title = title
        self._drawn = 0
        self._on = stream.isatty()

    def draw(self) -> None:
        """Redraw every account's line (in place, over the last drawing)."""
        if not self._on:
            return
        width = _columns(self._stream)
        lines = [self._title[:width], *(watch.line(width) for watch in self._watches)]
        up = f"\x1b[{self._drawn}F" if self._drawn else "\r"
        self._stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self._stream.flush()
        self._drawn = len(lines)

    async def run(self) -> None:
        """Redraw until cancelled."""
        while True:
            self.draw()
            await asyncio.sleep(_REDRAW)


def _columns(stream: TextIO) -> int:
    try:
        return max(20, os.get_terminal_size(stream.fileno()).columns - 1)
    except (OSError, ValueError, AttributeError):
        return 100
