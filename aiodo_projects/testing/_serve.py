"""Running the fake as a standalone server until a signal asks it to stop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from aiodo_projects.testing._fake import FakeDigitalOcean

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve(
    fake: FakeDigitalOcean,
    *,
    on_ready: Callable[[FakeDigitalOcean], object] | None = None,
    stop: asyncio.Event | None = None,
    signals: Sequence[signal.Signals] = STOP_SIGNALS,
) -> None:
    """Run ``fake`` until one of ``signals`` arrives, ``stop`` is set, or cancellation.

    ``on_ready`` is called once the fake listens (``fake.base_url`` is then known).
    Signal handlers are installed only where the loop supports them (the main thread
    on Unix) and removed afterwards.

    >>> await serve(FakeDigitalOcean(), on_ready=lambda f: print(f.base_url))  # doctest: +SKIP
    """
    stopped = asyncio.Event() if stop is None else stop
    loop = asyncio.get_running_loop()
    installed = []
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stopped.set)
            installed.append(sig)
    try:
        async with fake:
            if on_ready is not None:
                on_ready(fake)
            await stopped.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
