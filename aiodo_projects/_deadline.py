"""A call's deadline: ``asyncio.timeout``'s behaviour, with one timer per event loop, not per call.

A timer per call is what ``asyncio.timeout`` costs: a ``TimerHandle`` pushed on the loop's
heap when the call starts and cancelled when it ends, about a tenth of the CPU of a small GET.
Here the deadlines of the calls in flight in one loop share one timer, armed for the earliest
of them: a call that ends leaves the timer alone, and when it fires it cancels the calls whose
deadline has passed and is armed again for the earliest of the rest. A call whose deadline
passes sees :class:`TimeoutError`, exactly as with ``asyncio.timeout``; a cancellation from
elsewhere stays a cancellation.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["Deadline"]


class _Watch:
    """The deadlines in flight in one event loop, and the one timer that keeps them.

    It holds no reference to its loop (the loop's timers hold it), so it goes with the loop.
    A timer armed again for an earlier deadline leaves the later one to fire for nothing.
    """

    def __init__(self) -> None:
        self._deadlines: dict[Deadline, float] = {}
        self._timer_at = math.inf
        self._armed = 0  # which timer is the current one

    def add(self, deadline: Deadline, when: float, loop: asyncio.AbstractEventLoop) -> None:
        self._deadlines[deadline] = when
        if when < self._timer_at:
            self._arm(loop, when)

    def discard(self, deadline: Deadline) -> None:
        # The timer stays: when it fires for a deadline that has gone, it moves on.
        self._deadlines.pop(deadline, None)

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self._armed += 1
        self._timer_at = when
        loop.call_at(when, self._fire, loop, self._armed)

    def _fire(self, loop: asyncio.AbstractEventLoop, armed: int) -> None:
        if armed != self._armed:
            return  # armed again since, for an earlier deadline
        self._timer_at = math.inf
        now = loop.time()
        due = [deadline for deadline, when in self._deadlines.items() if when <= now]
        for deadline in due:
            del self._deadlines[deadline]
            deadline.expire()
        if self._deadlines:
            self._arm(loop, min(self._deadlines.values()))


_WATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Watch] = weakref.WeakKeyDictionary()


class Deadline:
    """``with Deadline(seconds):`` bounds the awaits inside to ``seconds`` (``None``: no bound).

    Use it inside a task, once. When the time passes, the task is cancelled and the block
    raises :class:`TimeoutError` instead of the cancellation, unless the task was also
    cancelled from elsewhere (then the cancellation goes on), as ``asyncio.timeout`` does.
    """

    __slots__ = ("_cancelling", "_expired", "_task", "_watch", "_when")

    def __init__(self, seconds: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._when = None if seconds is None else loop.time() + seconds
        watch = _WATCHES.get(loop)
        if watch is None:
            watch = _WATCHES[loop] = _Watch()
        self._watch = watch
        self._task: asyncio.Task[object]  # set on entering: only an entered one is watched
        self._cancelling = 0
        self._expired = False

    def when(self) -> float | None:
        """Return the loop time at which the deadline passes, or ``None`` for none."""
        return self._when

    def expired(self) -> bool:
        """Return whether the deadline passed while the block ran."""
        return self._expired

    def expire(self) -> None:
        """Cancel the task in the block: its deadline has passed (the watch calls this)."""
        self._expired = True
        self._task.cancel()

    def __enter__(self) -> Self:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a Deadline works only inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        if self._when is not None:
            self._watch.add(self, self._when, asyncio.get_running_loop())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._watch.discard(self)
        if not self._expired:
            return
        # Ours alone (no other cancellation came meanwhile): the cancellation becomes the timeout.
        ours = self._task.uncancel() <= self._cancelling
        if ours and exc_type is not None and issubclass(exc_type, asyncio.CancelledError):
            raise TimeoutError from exc
