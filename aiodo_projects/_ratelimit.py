"""DigitalOcean's ``ratelimit-*`` headers, parsed into :class:`RateLimit` (pure, no I/O)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["RateLimit"]


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
        """Parse the ``ratelimit-*`` headers, or return ``None`` when any is absent or garbled."""
        try:
            limit = int(headers["ratelimit-limit"])
            remaining = int(headers["ratelimit-remaining"])
            reset_epoch = float(headers["ratelimit-reset"])
        except (KeyError, ValueError):
            return None
        if not math.isfinite(reset_epoch) or limit < 0 or remaining < 0:
            return None
        try:
            reset = datetime.fromtimestamp(reset_epoch, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return cls(limit=limit, remaining=remaining, reset=reset)
