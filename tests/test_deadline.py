"""The call deadline: asyncio.timeout's outcomes, kept by one timer per event loop."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from aiodo_projects import _deadline
from aiodo_projects._deadline import Deadline


def _timers() -> int:
    """Timers waiting in the running loop (not cancelled)."""
    scheduled = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    return sum(not handle.cancelled() for handle in scheduled)


async def test_a_block_that_ends_in_time_returns_its_value_and_is_not_expired() -> None:
    with Deadline(5.0) as deadline:
        await asyncio.sleep(0)
        value = 42
    assert value == 42
    assert not deadline.expired()


async def test_a_deadline_that_passes_raises_timeout_error_from_the_cancellation() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError) as info, Deadline(0.05) as deadline:
        await asyncio.sleep(10)
    assert deadline.expired()
    assert isinstance(info.value.__cause__, asyncio.CancelledError)
    assert 0.05 <= loop.time() - started < 1.0
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_no_bound_never_expires_and_arms_no_timer() -> None:
    before = _timers()
    with Deadline(None) as deadline:
        assert deadline.when() is None
        assert _timers() == before
        await asyncio.sleep(0.01)
    assert not deadline.expired()


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    entered = asyncio.Event()

    async def call() -> None:
        with Deadline(10.0):
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(call())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_cancellation_from_elsewhere_as_the_deadline_passes_stays_a_cancellation() -> None:
    async def call() -> None:
        with Deadline(0.02):
            await asyncio.sleep(10)

    task = asyncio.create_task(call())
    await asyncio.sleep(0)  # the task is inside its block
    asyncio.get_running_loop().call_later(0.03, task.cancel)  # its owner, just after
    time.sleep(0.06)  # noqa: ASYNC251 -- hold the loop: both come due in one round
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_error_raised_inside_passes_through_unchanged() -> None:
    with pytest.raises(KeyError), Deadline(5.0):
        raise KeyError("x")


async def test_nested_deadlines_each_raise_their_own_timeout() -> None:
    with Deadline(10.0) as outer:
        with pytest.raises(TimeoutError), Deadline(0.02) as inner:
            await asyncio.sleep(10)
        assert inner.expired()
        assert not outer.expired()
        await asyncio.sleep(0)
    assert not outer.expired()


async def test_calls_in_one_loop_share_one_timer() -> None:
    started = asyncio.Event()
    finish = asyncio.Event()
    before = _timers()

    async def call() -> None:
        with Deadline(30.0):
            started.set()
            await finish.wait()

    tasks = [asyncio.create_task(call()) for _ in range(50)]
    await started.wait()
    await asyncio.sleep(0)
    assert _timers() == before + 1  # asyncio.timeout would have armed 50
    finish.set()
    await asyncio.gather(*tasks)


async def test_calls_of_other_lengths_each_expire_at_their_own_deadline() -> None:
    loop = asyncio.get_running_loop()
    ended: dict[float, float] = {}

    async def call(seconds: float) -> None:
        started = loop.time()
        try:
            with Deadline(seconds):
                await asyncio.sleep(10)
        except TimeoutError:
            ended[seconds] = loop.time() - started

    # The longest first: the shorter ones that come later move the shared timer earlier.
    await asyncio.gather(call(0.3), call(0.1), call(0.2))
    assert sorted(ended) == [0.1, 0.2, 0.3]
    for seconds, took in ended.items():
        assert seconds <= took < seconds + 0.5


async def test_a_call_after_the_timer_fired_for_a_finished_one_still_expires() -> None:
    with Deadline(0.02):
        pass  # ended: the timer armed for it fires with nothing due
    await asyncio.sleep(0.05)
    with pytest.raises(TimeoutError), Deadline(0.02):
        await asyncio.sleep(10)


async def test_outside_a_task_is_refused() -> None:
    loop = asyncio.get_running_loop()
    deadline = Deadline(1.0)
    result: list[BaseException] = []

    def outside() -> None:
        try:
            deadline.__enter__()
        except RuntimeError as exc:
            result.append(exc)

    loop.call_soon(outside)
    await asyncio.sleep(0.01)
    assert result
    assert "inside a task" in str(result[0])


def test_each_loop_has_its_own_watch_that_goes_with_it() -> None:
    async def use() -> None:
        with pytest.raises(TimeoutError), Deadline(0.01):
            await asyncio.sleep(1)
        with Deadline(30.0):  # still armed when the loop closes
            await asyncio.sleep(0)

    asyncio.run(use())
    asyncio.run(use())
    gc.collect()
    assert len(_deadline._WATCHES) == 0
