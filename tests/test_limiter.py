"""The async token-bucket limiter: FIFO, cancellation, the ceiling, probing, sharing."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiodo_projects._limiter import (
    Limiter,
    TokenBucketLimiter,
    WaitTooLong,
    shared_limiter,
    token_key,
)
from aiodo_projects._ratelimit import RateLimit
from tests.virtual_clock import VirtualTimeLoop, run_virtual


def make_limiter(
    limit: int = 3, window: float = 10.0, *, hourly: bool = False
) -> TokenBucketLimiter:
    return TokenBucketLimiter(
        limit=limit, window=window, hourly=hourly, clock=asyncio.get_running_loop().time
    )


def report(remaining: int, reset_epoch: float = 1_700_000_000.0) -> RateLimit:
    return RateLimit(
        limit=5000, remaining=remaining, reset=datetime.fromtimestamp(reset_epoch, tz=UTC)
    )


def test_limiter_satisfies_the_protocol() -> None:
    assert isinstance(TokenBucketLimiter(), Limiter)
    assert "limit=240 window=60.0" in repr(TokenBucketLimiter())


def test_limiter_serves_waiters_in_arrival_order_within_the_window() -> None:
    async def main() -> list[tuple[int, float]]:
        loop = asyncio.get_running_loop()
        limiter = make_limiter(limit=3, window=10.0)
        granted: list[tuple[int, float]] = []

        async def one(i: int) -> None:
            await limiter.acquire(max_wait=60.0)
            granted.append((i, loop.time()))
            limiter.release(answered=True)

        await asyncio.gather(*(one(i) for i in range(10)))
        assert limiter.waiting == 0
        assert limiter.in_flight == 0
        return granted

    granted = run_virtual(main())
    assert [i for i, _ in granted] == list(range(10))
    assert [t for _, t in granted] == [0, 0, 0, 10, 10, 10, 20, 20, 20, 30]


def test_limiter_cancelled_waiter_gives_its_place_back() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        limiter = make_limiter(limit=1, window=5.0)
        await limiter.acquire(60.0)  # t=0: the only token
        limiter.release(answered=True)  # back at t=5
        order: list[tuple[str, float]] = []

        async def one(name: str) -> None:
            await limiter.acquire(60.0)
            order.append((name, loop.time()))
            limiter.release(answered=True)

        head = asyncio.create_task(one("head"))
        middle = asyncio.create_task(one("middle"))
        tail = asyncio.create_task(one("tail"))
        await asyncio.sleep(1.0)
        assert limiter.waiting == 3
        head.cancel()
        middle.cancel()
        await asyncio.gather(head, middle, return_exceptions=True)
        assert limiter.waiting == 1
        await tail
        assert order == [("tail", 5.0)]  # took the place the cancelled head held
        assert limiter.waiting == 0

    run_virtual(main())


def test_limiter_cancelling_a_non_head_waiter_keeps_the_order() -> None:
    async def main() -> list[str]:
        limiter = make_limiter(limit=1, window=1.0)
        await limiter.acquire(60.0)
        limiter.release(answered=True)
        order: list[str] = []

        async def one(name: str) -> None:
            await limiter.acquire(60.0)
            order.append(name)
            limiter.release(answered=True)

        tasks = {n: asyncio.create_task(one(n)) for n in "abcde"}
        await asyncio.sleep(0.1)
        tasks["c"].cancel()
        tasks["d"].cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        assert limiter.waiting == 0
        return order

    assert run_virtual(main()) == ["a", "b", "e"]


def test_limiter_raises_wait_too_long_at_once_for_a_long_pause() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        limiter = make_limiter()
        limiter.pause(120.0)
        with pytest.raises(WaitTooLong) as caught:
            await limiter.acquire(max_wait=60.0)
        assert caught.value.seconds == pytest.approx(120.0)
        assert "120" in str(caught.value)
        assert loop.time() == 0.0
        assert limiter.waiting == 0
        await limiter.acquire(max_wait=200.0)  # a longer ceiling waits it out
        assert loop.time() == pytest.approx(120.0)

    run_virtual(main())


def test_limiter_queued_waiters_all_give_up_when_a_long_pause_arrives() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        limiter = make_limiter(limit=1, window=30.0)
        await limiter.acquire(60.0)
        tasks = [asyncio.create_task(limiter.acquire(60.0)) for _ in range(5)]
        await asyncio.sleep(1.0)
        limiter.pause(600.0)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, WaitTooLong) for r in results)
        assert loop.time() == pytest.approx(1.0)
        assert limiter.waiting == 0

    run_virtual(main())


def test_limiter_short_pause_holds_everyone_once() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        limiter = make_limiter(limit=100, window=1.0)
        limiter.pause(2.0)
        limiter.pause(1.0)
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire(60.0)
            times.append(loop.time())

        await asyncio.gather(*(one() for _ in range(5)))
        return times

    assert run_virtual(main()) == [2.0] * 5


def test_limiter_probes_with_one_send_until_the_first_answer() -> None:
    async def main() -> None:
        limiter = make_limiter(limit=100, window=1.0, hourly=True)
        await limiter.acquire(60.0)
        others = [asyncio.create_task(limiter.acquire(60.0)) for _ in range(4)]
        await asyncio.sleep(5.0)
        assert limiter.waiting == 4  # held back while the probe is out
        limiter.release(answered=True, rate_limit=report(4000), reset_in=3000.0)
        await asyncio.gather(*others)
        assert limiter.in_flight == 4
        assert limiter.remaining == 4000

    run_virtual(main())


def test_limiter_exhausted_hourly_budget_waits_for_reset_or_raises() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        limiter = make_limiter(limit=100, window=1.0, hourly=True)
        await limiter.acquire(60.0)
        limiter.release(answered=True, rate_limit=report(0), reset_in=30.0)
        with pytest.raises(WaitTooLong) as caught:
            await limiter.acquire(max_wait=10.0)
        assert caught.value.seconds == pytest.approx(30.0)
        await limiter.acquire(max_wait=60.0)
        assert loop.time() == pytest.approx(30.0)

    run_virtual(main())


def test_limiter_release_without_answer_lets_the_next_probe() -> None:
    async def main() -> None:
        limiter = make_limiter(limit=100, window=1.0, hourly=True)
        await limiter.acquire(60.0)
        waiting = asyncio.create_task(limiter.acquire(60.0))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        limiter.release(answered=False)
        await waiting
        assert limiter.in_flight == 1

    run_virtual(main())


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 8),
    window=st.floats(0.1, 30.0),
    arrivals=st.lists(
        st.tuples(st.floats(0.0, 3.0), st.one_of(st.none(), st.floats(0.0, 20.0))),
        min_size=1,
        max_size=40,
    ),
)
def test_limiter_property_never_more_than_limit_per_window_and_fifo(
    limit: int, window: float, arrivals: list[tuple[float, float | None]]
) -> None:
    """Callers arrive at random times, some give up after a while: the sliding-window bound
    holds for the sends, the ones that were served were served in arrival order, and the queue
    ends empty."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        limiter = make_limiter(limit=limit, window=window)
        granted: list[tuple[int, float]] = []

        async def caller(i: int, patience: float | None) -> None:
            try:
                async with asyncio.timeout(patience):
                    await limiter.acquire(max_wait=1e9)
            except TimeoutError:
                return
            granted.append((i, loop.time()))
            limiter.release(answered=True)

        tasks = []
        for i, (gap, patience) in enumerate(arrivals):
            await asyncio.sleep(gap)
            tasks.append(asyncio.create_task(caller(i, patience)))
        await asyncio.gather(*tasks)
        assert limiter.waiting == 0
        order = [i for i, _ in granted]
        assert order == sorted(order)
        times = [t for _, t in granted]
        for j in range(len(times) - limit):
            assert times[j + limit] - times[j] >= window - 1e-5

    run_virtual(main())


def test_limiter_is_shared_by_loops_in_two_threads() -> None:
    """Two event loops in two threads share one limiter: the window holds across both."""
    limiter = TokenBucketLimiter(limit=4, window=0.2, hourly=False)
    stamps: list[float] = []
    lock = threading.Lock()

    async def burst() -> None:
        for _ in range(6):
            await limiter.acquire(60.0)
            with lock:
                stamps.append(time.monotonic())
            limiter.release(answered=True)

    threads = [threading.Thread(target=asyncio.run, args=(burst(),)) for _ in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10.0)
    elapsed = time.monotonic() - started
    assert len(stamps) == 12
    stamps.sort()
    for j in range(len(stamps) - 4):
        assert stamps[j + 4] - stamps[j] >= 0.2 - 1e-3
    assert elapsed < 2.0  # ideal (12 - 4) / 4 * 0.2 = 0.4 s
    assert limiter.waiting == 0


def test_limiter_drops_a_waiter_whose_loop_is_closed() -> None:
    limiter = TokenBucketLimiter(limit=1, window=0.05, hourly=False)
    dead = VirtualTimeLoop()

    async def take_and_wait() -> None:
        await limiter.acquire(60.0)
        limiter.release(answered=True)
        await limiter.acquire(60.0)  # queued: never completes on this loop

    task = dead.create_task(take_and_wait())
    task._log_destroy_pending = False  # type: ignore[attr-defined] # abandoned on purpose
    dead.run_until_complete(asyncio.sleep(0))
    assert limiter.waiting == 1
    dead.close()  # abandoned with its waiter still queued (no cancellation)

    async def other() -> None:
        await limiter.acquire(60.0)

    asyncio.run(asyncio.wait_for(other(), 2.0))
    assert limiter.waiting == 0
    del task


def test_shared_limiter_one_per_token_and_origin_keyed_by_hash() -> None:
    a = shared_limiter("https://a", "tok-1", limit=10, window=1.0, hourly=True)
    b = shared_limiter("https://a", "tok-1", limit=10, window=1.0, hourly=True)
    c = shared_limiter("https://a", "tok-2", limit=10, window=1.0, hourly=True)
    d = shared_limiter("https://b", "tok-1", limit=10, window=1.0, hourly=True)
    assert a is b
    assert c is not a
    assert d is not a
    key = token_key("https://a", "tok-1")
    assert "tok-1" not in repr(key)
    with pytest.raises(ValueError, match="the same RateLimits"):
        shared_limiter("https://a", "tok-1", limit=11, window=1.0, hourly=True)


def test_shared_limiter_is_forgotten_when_no_client_holds_it() -> None:
    first = shared_limiter("https://gc", "tok", limit=10, window=1.0, hourly=True)
    first_id = id(first)
    del first
    gc.collect()
    again = shared_limiter("https://gc", "tok", limit=20, window=1.0, hourly=True)
    assert again.settings == (20, 1.0, True)
    assert id(again) != first_id or again.settings[0] == 20


def test_limiter_wakes_the_waiter_behind_a_dead_head() -> None:
    limiter = TokenBucketLimiter(limit=1, window=0.05, hourly=False)
    dead = VirtualTimeLoop()

    async def take_and_wait() -> None:
        await limiter.acquire(60.0)
        limiter.release(answered=True)
        await limiter.acquire(60.0)

    task = dead.create_task(take_and_wait())
    task._log_destroy_pending = False  # type: ignore[attr-defined] # abandoned on purpose
    dead.run_until_complete(asyncio.sleep(0))

    async def two_waiters() -> None:
        first = asyncio.create_task(limiter.acquire(60.0))  # queued behind the dead head
        await asyncio.sleep(0.01)
        dead.close()
        second = asyncio.create_task(limiter.acquire(60.0))  # drops the dead head, wakes `first`
        await first
        limiter.release(answered=True)
        await second

    asyncio.run(asyncio.wait_for(two_waiters(), 2.0))
    assert limiter.waiting == 0
    del task


def test_limiter_wakes_a_waiter_on_another_thread_from_outside_any_loop() -> None:
    """pause() and release() from plain threads wake waiters on their own loop."""
    limiter = TokenBucketLimiter(limit=1, window=0.05, hourly=False)
    queued = threading.Event()
    result: list[float] = []

    async def waiter() -> None:
        await limiter.acquire(60.0)
        limiter.release(answered=True)
        task = asyncio.create_task(limiter.acquire(60.0))
        await asyncio.sleep(0)
        assert limiter.waiting == 1
        queued.set()
        started = time.monotonic()
        await asyncio.wait_for(task, 5.0)
        result.append(time.monotonic() - started)

    thread = threading.Thread(target=asyncio.run, args=(waiter(),))
    thread.start()
    assert queued.wait(5.0)
    limiter.pause(0.2)  # no running loop here: the wake-up crosses threads
    thread.join(5.0)
    assert result
    assert result[0] >= 0.15


def test_limiter_release_drops_a_head_whose_loop_closed() -> None:
    limiter = TokenBucketLimiter(limit=1, window=60.0, hourly=False)
    dead = VirtualTimeLoop()

    async def take_and_queue() -> None:
        await limiter.acquire(60.0)
        await limiter.acquire(60.0)  # queued behind the token in flight

    task = dead.create_task(take_and_queue())
    task._log_destroy_pending = False  # type: ignore[attr-defined] # abandoned on purpose
    dead.run_until_complete(asyncio.sleep(0))
    assert limiter.waiting == 1
    dead.close()
    limiter.release(answered=True)  # waking the head fails on its closed loop: dropped
    assert limiter.waiting == 0
    del task
