"""One token's rate limits shared by every process and host through Redis (the redis extra).

The arithmetic is the in-process limiter's (a burst slot comes back one window after its
attempt ends; the hourly budget learned from the headers; one shared 429 pause), done by
the Lua scripts of :mod:`aiodo_projects._redis_scripts` so that every decision is atomic
and timed by Redis alone. Waiters hold tickets in a FIFO queue in Redis; the head sleeps
exactly as long as Redis says, the others poll every ``poll_interval`` and are woken at
once by releases in their own process.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import math
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from aiodo_projects import _redis_scripts as scripts
from aiodo_projects._closing import AsyncClosing
from aiodo_projects._limiter import (
    DEFAULT_BURST_LIMIT,
    DEFAULT_BURST_WINDOW,
    TokenBucketLimiter,
    WaitTooLong,
)
from aiodo_projects._redis_breaker import Breaker
from aiodo_projects.errors import DigitalOceanError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from aiodo_projects._ratelimit import RateLimit

__all__ = ["FailurePolicy", "LimiterUnavailableError", "RedisLimiter"]

logger = logging.getLogger("aiodo_projects")

FailurePolicy = Literal["local", "closed", "open"]
_POLICIES = ("local", "closed", "open")
_LOCAL, _OPEN = object(), object()  # leases granted without Redis, by the failure policy
_DOWN = object()  # what a Redis call returns when Redis could not answer


class LimiterUnavailableError(DigitalOceanError):
    """Redis is unreachable and ``failure_policy="closed"``: nothing was sent."""


def _us(seconds: float) -> int:
    return max(0, math.ceil(seconds * 1_000_000))


class RedisLimiter(AsyncClosing):
    """A :class:`~aiodo_projects.Limiter` whose limits hold across processes and hosts.

    Every process using ``token`` with the same ``limit``, ``window`` and ``hourly``
    shares one budget. ``redis`` is a URL (the limiter then owns a blocking connection
    pool with ``timeout``-second socket timeouts and closes it in :meth:`aclose`) or a
    ``redis.asyncio.Redis`` client, which is borrowed and never closed. A crashed worker's
    slots come back at most ``lease_ttl + window`` seconds after it died.

    When Redis fails, ``failure_policy`` decides: ``"local"`` limits each process to
    ``limit // workers`` in-process, ``"closed"`` raises :class:`LimiterUnavailableError`,
    ``"open"`` limits nothing. After ``failures`` failures in a row Redis is left alone
    for ``cooldown`` seconds, then tried again.

    >>> limiter = RedisLimiter("redis://localhost", token, failure_policy="closed")
    >>> client = Client(token=token, rate_limiter=limiter)  # doctest: +SKIP
    """

    def __init__(
        self,
        redis: str | Redis,
        token: str,
        *,
        failure_policy: FailurePolicy,
        workers: int | None = None,
        limit: int = DEFAULT_BURST_LIMIT,
        window: float = DEFAULT_BURST_WINDOW,
        hourly: bool = True,
        lease_ttl: float = 10.0,
        timeout: float = 0.25,
        failures: int = 3,
        cooldown: float = 5.0,
        poll_interval: float = 0.02,
        max_connections: int = 64,
    ) -> None:
        if failure_policy not in _POLICIES:
            raise ValidationError(f"failure_policy must be one of {_POLICIES}")
        if failure_policy == "local" and (workers is None or workers < 1):
            raise ValidationError(
                "failure_policy='local' needs workers=, how many processes share the token"
            )
        for name, value in (
            ("window", window), ("lease_ttl", lease_ttl), ("timeout", timeout),
            ("poll_interval", poll_interval),
        ):  # fmt: skip
            if not (value > 0 and math.isfinite(value)):
                raise ValidationError(f"{name} must be a positive number, not {value!r}")
        if limit < 1:
            raise ValidationError(f"limit must be at least 1, not {limit!r}")
        self._owned = isinstance(redis, str)
        if isinstance(redis, str):
            pool = BlockingConnectionPool.from_url(
                redis,
                max_connections=max_connections,
                timeout=timeout,  # waiting for a free connection
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),  # the breaker decides; retries only stall
            )
            redis = Redis(connection_pool=pool)
        self._redis = redis
        self._scripts = {
            name: redis.register_script(getattr(scripts, name))
            for name in ("ACQUIRE", "RELEASE", "PAUSE", "HEARTBEAT", "CANCEL", "ABSORB")
        }
        digest = hashlib.sha256(token.encode()).hexdigest()[:32]
        self._keys = scripts.keys(digest)
        self._settings = (limit, window, hourly)
        self._window = window
        key_ttl_ms = math.ceil(2_000 * (window + lease_ttl)) + 60_000
        self._head = [limit, _us(window), _us(lease_ttl), key_ttl_ms, int(hourly)]
        self._lease_ttl = lease_ttl
        self._timeout = timeout
        self._poll = poll_interval
        self._policy: FailurePolicy = failure_policy
        self._breaker = Breaker(failures=failures, cooldown=cooldown)
        share = max(1, limit // (workers or 1))
        self._local = TokenBucketLimiter(limit=share, window=window, hourly=hourly)
        self._local_returns: deque[float] = deque()  # monotonic times, see _absorb
        self._recent: deque[float] = deque(maxlen=limit)  # ends of Redis leases, see _seed
        self._seeded = False
        prefix = uuid.uuid4().hex[:12]  # this limiter's own lease and ticket ids
        self._ids = (f"{prefix}:{n}" for n in itertools.count())
        self._leases: deque[object] = deque()  # oldest first: lease ids, _LOCAL or _OPEN
        self._waiting: set[str] = set()
        self._wakeup = asyncio.Event()
        self._tasks: set[asyncio.Task[object]] = set()
        self._heartbeat: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        limit, window, hourly = self._settings
        return (
            f"<RedisLimiter limit={limit} window={window} hourly={hourly}"
            f" policy={self._policy!r} in_flight={len(self._leases)}"
            f" waiting={len(self._waiting)} redis={'down' if self._breaker.failing else 'up'}>"
        )

    @property
    def settings(self) -> tuple[int, float, bool]:
        """``(limit, window, hourly)``, as given."""
        return self._settings

    async def aclose(self) -> None:
        """Send the releases still under way, stop the heartbeat, close an owned pool."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        if self._owned:
            await self._redis.aclose()
            await self._redis.connection_pool.disconnect()

    async def acquire(self, max_wait: float) -> None:
        """Wait for a slot (FIFO across processes) or raise :class:`~aiodo_projects.WaitTooLong`."""
        ident = next(self._ids)
        waiter_ttl = _us(self._lease_ttl)
        settled = False
        self._waiting.add(ident)
        try:
            while True:
                reply = await self._call("ACQUIRE", ident, ident, _us(max_wait), waiter_ttl)
                if reply is _DOWN:
                    break
                status, value = reply
                if status == b"ok":
                    settled = True
                    self._leases.append(ident)
                    self._keep_alive()
                    return
                if status == b"toolong":
                    settled = True  # the script already took the ticket out
                    raise WaitTooLong(value / 1_000_000)
                self._keep_alive()
                nap = self._poll if value < 0 else value / 1_000_000
                await self._nap(min(nap, self._lease_ttl / 3))
        finally:
            self._waiting.discard(ident)
            if not settled:  # also a grant whose reply was lost: it must not stay a lease
                self._spawn(self._call("CANCEL", ident, ident))
        await self._fall_back(max_wait)

    async def _fall_back(self, max_wait: float) -> None:
        if self._policy == "closed":
            raise LimiterUnavailableError(
                "the shared rate limiter cannot reach Redis (failure_policy='closed');"
                " nothing was sent"
            )
        if self._policy == "open":
            self._leases.append(_OPEN)
            return
        if not self._seeded:
            self._seeded = True
            await self._seed()
        await self._local.acquire(max_wait)
        self._leases.append(_LOCAL)

    async def _seed(self) -> None:
        """Spend in the local share the slots this process used within the last window.

        Redis may be gone with the log that counted them; without this each process would
        add a whole fresh share on top of a window the server already counted.
        """
        cutoff = time.monotonic() - self._window
        used = sum(1 for end in self._recent if end > cutoff)
        for _ in range(min(used, self._local.settings[0])):
            await self._local.acquire(math.inf)
            self._local.release(answered=False)  # back one window from now: conservative

    def release(
        self, *, answered: bool, rate_limit: RateLimit | None = None, reset_in: float = 0.0
    ) -> None:
        """End this process's oldest attempt (attempts are interchangeable for counting)."""
        if not self._leases:
            return
        lease = self._leases.popleft()
        if lease is _OPEN:
            return
        if lease is _LOCAL:
            self._local.release(answered=answered, rate_limit=rate_limit, reset_in=reset_in)
            self._local_returns.append(time.monotonic() + self._window)
            return
        if rate_limit is None:
            hourly: list[str | int] = ["", "0", 0]
        else:
            hourly = [rate_limit.remaining, repr(rate_limit.reset.timestamp()), _us(reset_in)]
        self._recent.append(time.monotonic())
        self._spawn(self._release(str(lease), int(answered), *hourly))

    async def _release(self, *args: str | int) -> None:
        await self._call("RELEASE", *args)
        self._wake()

    def pause(self, seconds: float) -> None:
        """Hold every acquire of every process for ``seconds``."""
        self._local.pause(seconds)
        self._spawn(self._call("PAUSE", _us(seconds)))

    async def _call(self, name: str, *args: str | int) -> Any:  # noqa: ANN401 -- Lua's reply
        """Run one script, or return ``_DOWN`` when Redis fails or the breaker is open."""
        breaker = self._breaker
        if not breaker.allows():
            return _DOWN
        try:
            # The socket timeouts should end it first; this bounds the pool and DNS too.
            async with asyncio.timeout(self._timeout * 4):
                reply = await self._scripts[name](keys=self._keys, args=[*self._head, *args])
        except (RedisError, OSError, TimeoutError) as exc:
            if breaker.failed():
                logger.warning(
                    "the shared rate limiter cannot reach Redis (%s); failure_policy=%r"
                    " applies until it answers again",
                    type(exc).__name__,
                    self._policy,
                )
            return _DOWN
        if breaker.succeeded():
            logger.warning("the shared rate limiter reaches Redis again")
            self._seeded = False
            self._spawn(self._absorb())
        return reply

    async def _absorb(self) -> None:
        """Count in Redis what this process sent on its local share while Redis was away."""
        now = time.monotonic()
        returns = self._local_returns
        while returns and returns[0] <= now:
            returns.popleft()
        if returns:
            pending = [_us(back - now) for back in returns]
            returns.clear()
            await self._call("ABSORB", next(self._ids), *pending)

    def _keep_alive(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        """Renew this process's leases and tickets until it holds none."""
        while True:
            await asyncio.sleep(self._lease_ttl / 3)
            leases = [lease for lease in self._leases if isinstance(lease, str)]
            if not leases and not self._waiting:
                return
            await self._call(
                "HEARTBEAT", _us(self._lease_ttl), len(leases), *leases, *self._waiting
            )

    async def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if a release in this process frees a slot."""
        try:
            async with asyncio.timeout(seconds):
                await self._wakeup.wait()
        except TimeoutError:
            pass

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(work)
        except RuntimeError:  # no loop: the lease or ticket runs out by itself
            work.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
