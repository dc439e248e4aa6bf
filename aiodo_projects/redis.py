"""Rate limits shared across processes and hosts through Redis (the ``redis`` extra).

Importing :mod:`aiodo_projects` never imports redis; import this module for the Redis limiter::

    from aiodo_projects.redis import RedisLimiter
"""

from __future__ import annotations

from aiodo_projects._redis_limiter import FailurePolicy, LimiterUnavailableError, RedisLimiter

__all__ = ["FailurePolicy", "LimiterUnavailableError", "RedisLimiter"]
