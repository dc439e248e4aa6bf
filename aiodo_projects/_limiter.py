"""The client-side rate limiter: its interface, the token-bucket limiter, and sharing per token.

One :class:`TokenBucketLimiter` is shared by every ``Client`` in the process that talks to the
same API origin with the same token (the registry keys on a hash of the token, never the
token). Its state sits behind a ``threading.Lock`` and each waiter is woken on its own event
loop, so clients on different loops (or threads) share it without breaking each other.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aiodo_projects._buckets import Buckets

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiodo_projects._ratelimit import RateLimit

__all__ = [
    "DEFAULT_BURST_LIMIT",
    "DEFAULT_BURST_WINDOW",
    "Limiter",
    "TokenBucketLimiter",
    "WaitTooLong",
    "shared_limiter",
]

# DigitalOcean allows 250 requests per minute; staying a little under leaves room for
# requests this process does not see (another process on the same token, a dashboard).
DEFAULT_BURST_LIMIT = 240
DEFAULT_BURST_WINDOW = 60.0


class WaitTooLong(Exception):  # noqa: N818 -- it reads as what happened: the wait is too long
    """Raised by :meth:`Limiter.acquire` instead of waiting longer than ``max_wait``.

    ``seconds`` is the wait the limiter knows of; nothing was taken.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the rate limit frees in {seconds:.3g} s")


@runtime_checkable
class Limiter(Protocol):
    """What the client needs from a rate limiter (pass one as ``Client(rate_limiter=...)``).

    The client calls :meth:`acquire` before every attempt, then exactly one :meth:`release`
    when the attempt ends (answered or not), and :meth:`pause` when DigitalOcean answers 429.
    """

    async def acquire(self, max_wait: float) -> None:
        """Wait until one request may be sent.

        Raise :class:`WaitTooLong` at once, taking nothing, when the wait the server imposed
        (a 429 pause, an exhausted hourly budget) is known to exceed ``max_wait`` seconds.
        Waiters should be served in order; a cancelled wait must leave no trace.
        """
        ...

    def release(
        self, *, answered: bool, rate_limit: RateLimit | None = None, reset_in: float = 0.0
    ) -> None:
        """End one acquired attempt.

        ``answered`` says whether any HTTP answer came; ``rate_limit`` is what it reported
        (``None`` without the headers) and ``reset_in`` the seconds until ``rate_limit.reset``
        by the server's ``Date`` header, so a wrong local clock does not matter.
        """
        ...

    def pause(self, seconds: float) -> None:
        """Hold every acquire for ``seconds`` (DigitalOcean answered 429)."""
        ...


class _Waiter:
    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class TokenBucketLimiter:
    """The default :class:`Limiter`: a burst and an hourly bucket, and FIFO waiters.

    At most ``limit`` requests are counted by the server in any trailing ``window`` seconds
    (each token comes back ``window`` seconds after its attempt ended); the hourly budget
    learned from the ``ratelimit-*`` headers is respected unless ``hourly=False``. ``clock``
    is a monotonic clock in seconds (tests pass the event loop's virtual clock).

    >>> limiter = TokenBucketLimiter(limit=100, window=60.0)
    >>> client = Client(rate_limiter=limiter)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_BURST_LIMIT,
        window: float = DEFAULT_BURST_WINDOW,
        hourly: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._buckets = Buckets(limit=limit, window=window, hourly=hourly)
        self._hourly = hourly
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: deque[_Waiter] = deque()

    def __repr__(self) -> str:
        b = self._buckets
        return (
            f"<TokenBucketLimiter limit={b.limit} window={b.window} hourly={self._hourly}"
            f" waiting={len(self._queue)} in_flight={b.in_flight}>"
        )

    @property
    def settings(self) -> tuple[int, float, bool]:
        """``(limit, window, hourly)``, as given."""
        return self._buckets.limit, self._buckets.window, self._hourly

    @property
    def waiting(self) -> int:
        """How many acquires are queued."""
        return len(self._queue)

    @property
    def in_flight(self) -> int:
        """How many acquired attempts have not been released."""
        return self._buckets.in_flight

    @property
    def remaining(self) -> int | None:
        """The hourly budget as last learned, before subtracting requests in flight."""
        return self._buckets.remaining

    async def acquire(self, max_wait: float) -> None:
        """Wait for a token (FIFO), or raise :class:`WaitTooLong` (see :class:`Limiter`)."""
        buckets = self._buckets
        with self._lock:
            now = self._clock()
            if self._queue:
                self._drop_dead_head()
            if not self._queue and buckets.delay(now) == 0.0:
                buckets.take()
                return
            imposed = buckets.blocking_wait(now)
            if imposed > max_wait:
                raise WaitTooLong(imposed)
            waiter = _Waiter(asyncio.get_running_loop())
            self._queue.append(waiter)
        try:
            await self._wait_turn(waiter, max_wait)
        except BaseException:
            with self._lock:
                self._leave(waiter)
            raise

    async def _wait_turn(self, waiter: _Waiter, max_wait: float) -> None:
        buckets = self._buckets
        loop = waiter.loop
        while True:
            with self._lock:
                now = self._clock()
                imposed = buckets.blocking_wait(now)
                if imposed > max_wait:
                    self._leave(waiter)
                    raise WaitTooLong(imposed)
                delay = math.inf
                self._drop_dead_head()
                if self._queue[0] is waiter:
                    delay = buckets.delay(now)
                    if delay == 0.0:
                        buckets.take()
                        self._leave(waiter)
                        return
                if waiter.future.done():
                    waiter.future = loop.create_future()
                future = waiter.future
            timer = None if delay == math.inf else loop.call_later(delay, _resolve, future)
            try:
                await future
            finally:
                if timer is not None:
                    timer.cancel()

    def _leave(self, waiter: _Waiter) -> None:
        """Take ``waiter`` out of the queue (lock held); wake the new head if it changed."""
        queue = self._queue
        if not queue:
            return
        if queue[0] is waiter:
            queue.popleft()
            self._wake_head()
        else:
            try:
                queue.remove(waiter)
            except ValueError:
                return

    def _drop_dead_head(self) -> None:
        """Drop waiters at the head whose event loop was closed under them (lock held)."""
        queue = self._queue
        if queue and queue[0].loop.is_closed():
            while queue and queue[0].loop.is_closed():
                queue.popleft()
            self._wake_head()

    def _wake_head(self) -> None:
        """Wake the first waiter so it re-checks the buckets (lock held)."""
        queue = self._queue
        while queue:
            head = queue[0]
            try:
                running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if head.loop is running:
                _resolve(head.future)
                return
            try:
                head.loop.call_soon_threadsafe(_resolve, head.future)
            except RuntimeError:  # its loop is closed: that waiter will never run again
                queue.popleft()
                continue
            return

    def release(
        self, *, answered: bool, rate_limit: RateLimit | None = None, reset_in: float = 0.0
    ) -> None:
        """End one acquired attempt (see :class:`Limiter`)."""
        with self._lock:
            now = self._clock()
            if rate_limit is None:
                self._buckets.done(now, answered=answered)
            else:
                self._buckets.done(
                    now,
                    answered=True,
                    remaining=rate_limit.remaining,
                    reset_epoch=rate_limit.reset.timestamp(),
                    reset_in=reset_in,
                )
            self._wake_head()

    def pause(self, seconds: float) -> None:
        """Hold every acquire for ``seconds`` (see :class:`Limiter`)."""
        with self._lock:
            self._buckets.pause(self._clock(), seconds)
            self._wake_head()


_Key = tuple[str, str]
_REGISTRY: weakref.WeakValueDictionary[_Key, TokenBucketLimiter] = weakref.WeakValueDictionary()
_REGISTRY_LOCK = threading.Lock()


def token_key(origin: str, token: str) -> _Key:
    """Return the registry key of a token at an API origin (a hash, never the token)."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    return origin, digest


def shared_limiter(
    origin: str, token: str, *, limit: int, window: float, hourly: bool
) -> TokenBucketLimiter:
    """Return the process-wide limiter of ``token`` at ``origin``, creating it if needed.

    Clients sharing a token must agree on its settings; a mismatch raises ``ValueError``
    rather than letting two limiters each spend the whole budget.
    """
    key = token_key(origin, token)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None:
            limiter = TokenBucketLimiter(limit=limit, window=window, hourly=hourly)
            _REGISTRY[key] = limiter
        elif limiter.settings != (limit, window, hourly):
            have_limit, have_window, have_hourly = limiter.settings
            msg = (
                "another Client already shares a rate limiter for this token with "
                f"RateLimits(burst_limit={have_limit}, burst_window={have_window}, "
                f"hourly={have_hourly}); give every Client of one token the same RateLimits"
            )
            raise ValueError(msg)
        return limiter
