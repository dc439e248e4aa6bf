"""DigitalOcean's rate limits as sliding logs per token.

Each admitted request is remembered for one window after it arrives: at most
``per_minute`` in any trailing ``minute_window`` seconds and ``per_hour`` in any trailing
``hour_window`` seconds. Only the hourly budget shows in the ``ratelimit-*`` headers.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LimitConfig:
    """The fake's rate limits; windows are in seconds and may be scaled down for tests.

    With ``enforce=False`` (the default) the headers are computed but nothing is refused.
    """

    per_minute: int = 250
    per_hour: int = 5000
    minute_window: float = 60.0
    hour_window: float = 3600.0
    enforce: bool = False

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.per_hour < 1:
            raise ValueError("per_minute and per_hour must be at least 1")
        if not (self.minute_window > 0 and self.hour_window > 0):
            raise ValueError("minute_window and hour_window must be positive")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the limiter decided about one request, in true-clock Unix seconds."""

    admitted: bool
    limit: int
    remaining: int
    reset: float  # when the oldest request in the hourly log expires
    retry_after: float = 0.0  # seconds until a slot frees, when refused

    def headers(self, skew: float) -> dict[str, str]:
        """Return the ``ratelimit-*`` (and, when refused, ``Retry-After``) headers."""
        headers = {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            # As reported by a server whose clock is `skew` seconds off, like its Date.
            "ratelimit-reset": str(math.ceil(self.reset + skew)),
        }
        if not self.admitted:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class _Logs:
    """The two sliding logs of one token, oldest first."""

    __slots__ = ("hour", "minute")

    def __init__(self) -> None:
        self.minute: deque[float] = deque()
        self.hour: deque[float] = deque()


class RateLimiter:
    """Sliding-log limits per token: counts, decides, and reports headers."""

    def __init__(self, config: LimitConfig) -> None:
        self.config = config
        self._logs: dict[str, _Logs] = {}

    def admit(self, token: str, now: float) -> Verdict:
        """Count a request arriving at ``now``, or refuse it (uncounted) when enforcing."""
        config = self.config
        logs = self._prune(token, now)
        if config.enforce:
            waits = []
            if len(logs.minute) >= config.per_minute:
                waits.append(logs.minute[0] + config.minute_window - now)
            if len(logs.hour) >= config.per_hour:
                waits.append(logs.hour[0] + config.hour_window - now)
            if waits:
                return self._verdict(logs, now, admitted=False, retry_after=max(waits))
        logs.minute.append(now)
        logs.hour.append(now)
        return self._verdict(logs, now, admitted=True)

    def peek(self, token: str | None, now: float) -> Verdict:
        """Report a token's budget without counting a request (for 401 answers)."""
        logs = _Logs() if token is None else self._prune(token, now)
        return self._verdict(logs, now, admitted=True)

    def set_remaining(self, token: str, remaining: int, now: float, reset_in: float) -> None:
        """Make the hourly log hold ``per_hour - remaining`` requests.

        Requests added for this arrive ``hour_window - reset_in`` seconds ago, so the
        oldest of them expires ``reset_in`` seconds from ``now``; when there are too
        many, the oldest are forgotten.
        """
        config = self.config
        if not 0 <= remaining <= config.per_hour:
            raise ValueError(f"remaining must be between 0 and {config.per_hour}")
        if not 0 < reset_in <= config.hour_window:
            raise ValueError(f"reset_in must be in (0, {config.hour_window}]")
        logs = self._prune(token, now)
        wanted = config.per_hour - remaining
        entries = sorted(logs.hour)[-wanted:] if wanted else []
        added = now - config.hour_window + reset_in
        entries = sorted(entries + [added] * (wanted - len(entries)))
        logs.hour = deque(entries)

    def _prune(self, token: str, now: float) -> _Logs:
        logs = self._logs.get(token)
        if logs is None:
            logs = self._logs[token] = _Logs()
        for log, window in (
            (logs.minute, self.config.minute_window),
            (logs.hour, self.config.hour_window),
        ):
            while log and log[0] + window <= now:
                log.popleft()
        return logs

    def _verdict(
        self, logs: _Logs, now: float, *, admitted: bool, retry_after: float = 0.0
    ) -> Verdict:
        config = self.config
        return Verdict(
            admitted=admitted,
            limit=config.per_hour,
            remaining=max(0, config.per_hour - len(logs.hour)),
            reset=logs.hour[0] + config.hour_window if logs.hour else now,
            retry_after=retry_after,
        )
