"""What responses say about waiting: ``ratelimit-*``, ``Retry-After`` and ``Date`` (pure).

The ``ratelimit-*`` headers are parsed into :class:`RateLimit`. Waits the server asks for are
measured against the response's ``Date`` header, so a local clock that is off does not matter.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "HOURLY_WINDOW",
    "RateLimit",
    "RateLimitParser",
    "parse_http_date",
    "rate_limit_wait",
    "reset_in_seconds",
    "retry_after_seconds",
]

# DigitalOcean counts each request for an hour.
HOURLY_WINDOW = 3600.0


@attrs.frozen
class RateLimit:
    """The hourly request budget DigitalOcean reported on a response.

    ``limit`` requests may be made per hour; ``remaining`` of them are left; ``reset`` (an
    aware UTC datetime) is when the oldest counted request stops counting.
    See https://docs.digitalocean.com/reference/api/api-reference/#section/Introduction/Rate-Limit
    """

    limit: int
    remaining: int
    reset: datetime

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        """Parse the ``ratelimit-*`` headers, or return ``None`` when any is absent or garbled.

        Garbled includes figures that cannot both be true: a ``limit`` under 1, or a
        ``remaining`` below 0 or above ``limit``.
        """
        get = headers.get
        return _parse(get(_LIMIT), get(_REMAINING), get(_RESET), None, None)


_LIMIT, _REMAINING, _RESET = "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"


def _parse(
    limit_text: str | None,
    remaining_text: str | None,
    reset_text: str | None,
    known_reset_text: str | None,
    known_reset: datetime | None,
) -> RateLimit | None:
    """Parse the three header values; reuse ``known_reset`` if ``reset_text`` is unchanged."""
    if limit_text is None or remaining_text is None or reset_text is None:
        return None
    try:
        limit, remaining = int(limit_text), int(remaining_text)
        if known_reset is not None and reset_text == known_reset_text:
            reset = known_reset
        else:  # NaN raises ValueError here, and an infinity OverflowError
            reset = datetime.fromtimestamp(float(reset_text), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if limit < 1 or not 0 <= remaining <= limit:
        return None
    return RateLimit(limit=limit, remaining=remaining, reset=reset)


class RateLimitParser:
    """``RateLimit.from_headers`` for a stream of responses: work is done only on a change.

    The result of the last headers is kept with their raw text; headers that repeat it
    return the same (frozen) :class:`RateLimit` without parsing, and a new
    ``ratelimit-remaining`` under an unchanged ``ratelimit-reset`` reuses the parsed reset.
    """

    __slots__ = ("_last", "_raw")

    def __init__(self) -> None:
        self._raw: tuple[str | None, str | None, str | None] = (None, None, None)
        self._last: RateLimit | None = None

    def __call__(self, headers: Mapping[str, str]) -> RateLimit | None:
        """Return what ``RateLimit.from_headers(headers)`` returns (an equal value)."""
        get = headers.get
        raw = (get(_LIMIT), get(_REMAINING), get(_RESET))
        if raw == self._raw:
            return self._last
        last = self._last
        if last is None:
            parsed = _parse(*raw, None, None)
        else:
            parsed = _parse(*raw, self._raw[2], last.reset)
        self._raw, self._last = raw, parsed
        return parsed


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
