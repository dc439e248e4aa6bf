"""A circuit breaker for the Redis limiter: stop waiting on a Redis that keeps failing (pure)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Breaker"]


class Breaker:
    """Open after ``failures`` failures in a row; let one call try again after ``cooldown``.

    While open, :meth:`allows` says no, so callers apply their failure policy at once
    instead of each waiting out a socket timeout. ``clock`` is monotonic seconds.
    """

    __slots__ = ("_clock", "_cooldown", "_failures", "_open_until", "_streak")

    def __init__(
        self, *, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failures < 1:
            raise ValueError(f"failures must be at least 1, not {failures!r}")
        if not (cooldown >= 0 and math.isfinite(cooldown)):
            raise ValueError(f"cooldown must be a non-negative number, not {cooldown!r}")
        self._failures = failures
        self._cooldown = cooldown
        self._clock = clock
        self._streak = 0
        self._open_until = -math.inf

    @property
    def failing(self) -> bool:
        """Whether the last call failed."""
        return self._streak > 0

    def allows(self) -> bool:
        """Say whether a call may go to Redis now."""
        return self._clock() >= self._open_until

    def failed(self) -> bool:
        """Count a failure; return whether it starts a streak (the moment to warn)."""
        self._streak += 1
        if self._streak >= self._failures:
            self._open_until = self._clock() + self._cooldown
        return self._streak == 1

    def succeeded(self) -> bool:
        """Count a success; return whether it ends a streak of failures (a recovery)."""
        recovered = self._streak > 0
        self._streak = 0
        self._open_until = -math.inf
        return recovered
