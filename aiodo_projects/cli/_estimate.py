"""How many requests an audit needs, and the least time DigitalOcean's limits allow it (pure).

An audit makes one request per page of projects and at least one per project for its
resources (more when a project has more than a page of them, known from an earlier run).
The limits are per token: at most ``burst`` requests in any ``window`` seconds, and an
hourly budget of ``hourly`` requests in which each request counts for an hour.

The minimum time is worked out request by request, which is exact for this model and quick
for any real account (tens of thousands of requests):

- request ``k`` waits for the burst limit: ``t[k] >= t[k - burst] + window``;
- and for a place in the hourly budget: the ``remaining`` places are free now, the places
  of requests made before the audit come back at ``reset`` (``ratelimit-reset``, when the
  oldest of them expires; assuming they all do then is the optimistic reading of the only
  time the API gives), and the audit's own requests come back an hour after they were made:
  ``t[k] >= t[k - hourly] + 3600``.

The result is when the last request may start, so it leaves out the time requests take.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["HOUR", "Estimate", "Limits", "estimate", "minimum_seconds", "requests_needed"]

HOUR = 3600.0
MAX_PER_PAGE = 200


@attrs.frozen
class Limits:
    """A token's limits; ``remaining`` and ``reset_in`` come from the last response, if any."""

    burst: int = 240  # the client's default burst limit, a little under DigitalOcean's 250
    window: float = 60.0
    hourly: int = 5000
    remaining: int | None = None  # None: nothing known, the whole budget is assumed free
    reset_in: float = 0.0  # seconds until ratelimit-reset
    hour: float = HOUR  # how long a request counts against the hourly budget (scaled in tests)

    def __attrs_post_init__(self) -> None:
        if self.burst < 1 or self.window <= 0 or self.hourly < 1:
            raise do.ValidationError("the limits must be positive")
        if self.remaining is not None and not 0 <= self.remaining <= self.hourly:
            raise do.ValidationError(
                f"remaining must be from 0 to {self.hourly:,}, not {self.remaining:,}"
            )
        if self.hour <= 0:
            raise do.ValidationError("the hour must be positive")
        if self.reset_in < 0:
            raise do.ValidationError("reset_in must not be negative")


def requests_needed(projects: int, per_page: int, resource_counts: Sequence[int] = ()) -> int:
    """Return the requests to list ``projects`` and fetch each one's resources.

    ``resource_counts`` holds the known resource counts of some of the projects; each of the
    others is taken to need one page.
    """
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise do.ValidationError(f"per_page must be from 1 to {MAX_PER_PAGE}, not {per_page}")
    if projects < 0 or len(resource_counts) > projects or any(n < 0 for n in resource_counts):
        raise do.ValidationError("projects and resource counts must be non-negative")
    listing = max(1, math.ceil(projects / per_page))  # an empty listing is still one request
    known = sum(max(1, math.ceil(count / per_page)) for count in resource_counts)
    return listing + known + projects - len(resource_counts)


def minimum_seconds(requests: int, limits: Limits) -> float:
    """Return the earliest time, from now, at which the last of ``requests`` may be sent."""
    free_now = limits.hourly if limits.remaining is None else limits.remaining
    sent: list[float] = []
    for k in range(requests):
        if k < free_now:
            start = 0.0
        elif k < limits.hourly:
            start = limits.reset_in
        else:
            start = sent[k - limits.hourly] + limits.hour
        if k >= limits.burst:
            start = max(start, sent[k - limits.burst] + limits.window)
        sent.append(start)
    return sent[-1] if sent else 0.0


@attrs.frozen
class Estimate:
    """The requests an audit needs and the least time the limits allow."""

    requests: int
    seconds: float
    remaining: int | None = None

    @property
    def exceeds_budget(self) -> bool:
        """Whether the audit needs more requests than this hour has left (it will wait)."""
        return self.remaining is not None and self.requests > self.remaining

    def __str__(self) -> str:
        parts = [f"about {self.requests:,} requests"]
        if self.remaining is not None:
            parts.append(f"{self.remaining:,} left this hour")
        parts.append(duration(self.seconds))
        return "; ".join(parts)


def duration(seconds: float) -> str:
    """Return a rough, readable duration: ``under a minute``, ``about 1 h 6 min``."""
    if seconds < 60:  # noqa: PLR2004 - a minute
        return "under a minute"
    hours, minutes = divmod(round(seconds / 60), 60)
    if not hours:
        return f"about {minutes} min"
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


def estimate(
    projects: int, *, per_page: int, limits: Limits, resource_counts: Sequence[int] = ()
) -> Estimate:
    """Return what auditing ``projects`` costs under ``limits``."""
    requests = requests_needed(projects, per_page, resource_counts)
    return Estimate(requests, minimum_seconds(requests, limits), limits.remaining)
