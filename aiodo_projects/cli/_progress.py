"""A progress bar on stderr, only when stderr is a terminal (rich's, or one line of text)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TextIO

from aiodo_projects.cli._output import rich_available

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["Progress", "progress_bar"]


class Progress(Protocol):
    """What a long job reports as it goes."""

    def set_total(self, total: int | None) -> None:
        """Set how many steps there are, once known."""

    def advance(self) -> None:
        """Count one step done."""


class _Silent:
    def set_total(self, total: int | None) -> None:
        pass

    def advance(self) -> None:
        pass


class _TextProgress:
    """One line rewritten in place, for terminals without rich; ten redraws a second at most."""

    def __init__(self, stream: TextIO, description: str) -> None:
        self._stream = stream
        self._description = description
        self._done = 0
        self._total: int | None = None
        self._drawn = 0.0

    def set_total(self, total: int | None) -> None:
        self._total = total
        self._draw(force=True)

    def advance(self) -> None:
        self._done += 1
        self._draw(force=self._done == self._total)

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:  # noqa: PLR2004 - ten redraws a second
            return
        self._drawn = now
        total = "?" if self._total is None else str(self._total)
        self._stream.write(f"\r{self._description}: {self._done}/{total}")
        self._stream.flush()

    def finish(self) -> None:
        self._draw(force=True)
        self._stream.write("\n")
        self._stream.flush()


class _RichProgress:
    def __init__(self, progress: RichProgress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def set_total(self, total: int | None) -> None:
        self._progress.update(self._task, total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)


@contextmanager
def progress_bar(description: str, stream: TextIO) -> Iterator[Progress]:
    """Yield a progress reporter that draws on ``stream`` only if it is a terminal."""
    if not stream.isatty():
        yield _Silent()
    elif not rich_available():
        text = _TextProgress(stream, description)
        try:
            yield text
        finally:
            text.finish()
    else:
        from rich import progress as rp  # noqa: PLC0415 - rich is optional
        from rich.console import Console  # noqa: PLC0415

        bar = rp.Progress(
            rp.TextColumn("[bold]{task.description}"),
            rp.BarColumn(),
            rp.MofNCompleteColumn(),
            rp.TimeElapsedColumn(),
            console=Console(file=stream),
            redirect_stdout=False,
        )
        with bar:
            yield _RichProgress(bar, bar.add_task(description, total=None))
