"""The audit store in one SQLite file, driven from a worker thread (the standard ``sqlite3``).

The tables and their migrations are in :mod:`aiodo_projects.cli._sqlite_schema`, the SQL of
each job in :mod:`aiodo_projects.cli._sqlite_queries`.

Decisions:

- **One connection, one thread.** ``sqlite3`` blocks, so every statement runs on one
  dedicated thread that owns the only connection; the event loop awaits each job's future.
  Jobs that queue up while a transaction commits are run together in the next one (group
  commit): under load many writes share one ``fsync``, and each job has its own savepoint, so
  one failing job rolls back alone.
- **Acknowledged means durable.** A job's await returns only after its transaction commits,
  in WAL mode with ``synchronous=FULL``: a crash, a kill or a power cut after that loses
  nothing, and one during a commit loses only that transaction, never the file. The audit
  makes a few requests a second, so the ``fsync`` per commit costs nothing it would notice.
- **Migrations** run as the file is opened, in one transaction (see the schema module).
- **Private by default.** The file is created readable by its owner only (an inventory maps
  someone's infrastructure); SQLite gives its WAL files the same mode.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import queue
import sqlite3
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar

from aiodo_projects.cli import _sqlite_queries as queries
from aiodo_projects.cli._sqlite_schema import migrate
from aiodo_projects.cli._store import RUN_STATUSES, RunStatus, StoreError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from types import TracebackType

    import aiodo_projects as do
    from aiodo_projects.cli._store import Inventory, RunInfo

__all__ = ["SQLiteStore"]

T = TypeVar("T")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stamp(value: datetime | None) -> str:
    return _now() if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


_Job = tuple["Callable[[sqlite3.Connection], Any]", "concurrent.futures.Future[Any]"]
_BATCH = 512  # jobs per transaction at most, so one commit never waits on an endless queue


class SQLiteStore:
    """An :class:`~aiodo_projects.cli._store.AuditStore` in one SQLite file.

    >>> async with SQLiteStore(path) as store:  # doctest: +SKIP
    ...     run_id = await store.start_run(accounts=["prod"], options={})
    """

    def __init__(self, path: Path, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self._busy_timeout = busy_timeout  # how long to wait for another process's write
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the worker thread ----------------------------------------------------------------

    async def open(self) -> None:
        """Create the file if needed (owner-only), connect and migrate it."""
        if self._thread is not None:
            return
        opened: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._serve, args=(opened,), name=f"audit-store {self.path.name}", daemon=True
        )
        self._thread.start()
        try:
            await asyncio.wrap_future(opened)
        except BaseException:
            self._closed = True
            await asyncio.to_thread(self._thread.join)
            raise

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            migrate(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _serve(self, opened: concurrent.futures.Future[None]) -> None:
        try:
            connection = self._connect()
        except StoreError as exc:
            opened.set_exception(StoreError(f"{self.path}: {exc}"))
            return
        except (OSError, sqlite3.Error) as exc:
            opened.set_exception(StoreError(f"cannot open the audit database {self.path}: {exc}"))
            return
        opened.set_result(None)
        try:
            while (job := self._jobs.get()) is not None:
                batch = [job]
                while len(batch) < _BATCH:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        self._jobs.put(None)  # finish this batch, then stop
                        break
                    batch.append(job)
                self._run_batch(connection, batch)
        finally:
            connection.close()

    def _run_batch(self, connection: sqlite3.Connection, batch: list[_Job]) -> None:
        # A job whose caller gave up before it ran is dropped: nothing was acknowledged.
        live = [(work, future) for work, future in batch if future.set_running_or_notify_cancel()]
        try:
            outcomes = self._run_jobs(connection, live)
        except sqlite3.Error as exc:  # the transaction itself failed: every job did
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            failure = self._wrapped(exc)
            for _, future in live:
                future.set_exception(failure)
            return
        for (_, future), (result, error) in zip(live, outcomes, strict=True):
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def _run_jobs(
        self, connection: sqlite3.Connection, jobs: list[_Job]
    ) -> list[tuple[Any, Exception | None]]:
        outcomes: list[tuple[Any, Exception | None]] = []
        connection.execute("BEGIN IMMEDIATE")
        for work, _ in jobs:
            connection.execute("SAVEPOINT job")
            try:
                outcomes.append((work(connection), None))
            except Exception as exc:  # noqa: BLE001 - handed to the awaiting caller
                connection.execute("ROLLBACK TO job")
                outcomes.append((None, self._wrapped(exc)))
            connection.execute("RELEASE job")
        connection.execute("COMMIT")
        return outcomes

    def _wrapped(self, exc: Exception) -> Exception:
        if isinstance(exc, sqlite3.Error):
            return StoreError(f"audit database {self.path}: {exc}")
        return exc

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._thread is None or self._closed:
            raise StoreError(f"the audit database {self.path} is not open")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((work, future))
        return await asyncio.wrap_future(future)

    async def aclose(self) -> None:
        """Finish the queued jobs, close the connection and stop the thread (idempotent)."""
        if self._thread is None or self._closed:
            return
        self._closed = True
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)

    # -- writes ---------------------------------------------------------------------------

    async def start_run(
        self,
        *,
        accounts: Sequence[str],
        options: Mapping[str, object],
        started_at: datetime | None = None,
    ) -> int:
        """Record a new run (status ``partial``) and return its id."""
        names = list(accounts)
        if len(set(names)) != len(names):
            raise StoreError(f"the accounts of a run must differ: {names}")
        row = (_stamp(started_at), json.dumps(names), json.dumps(dict(options), sort_keys=True))

        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "INSERT INTO runs (started_at, status, accounts, options)"
                " VALUES (?, 'partial', ?, ?)",
                row,
            )
            run_id = int(cursor.lastrowid or 0)
            connection.executemany(
                "INSERT INTO run_accounts (run_id, account, position) VALUES (?, ?, ?)",
                [(run_id, name, index) for index, name in enumerate(names)],
            )
            return run_id

        return await self._call(work)

    async def add_projects(
        self, run_id: int, account: str, projects: Sequence[do.Project], *, total: int
    ) -> None:
        """Store listed projects (again, on resume: a finished project stays finished)."""
        rows = [(run_id, account, p.id, json.dumps(p.to_dict())) for p in projects]
        await self._call(lambda c: queries.add_projects(c, run_id, account, rows, total))

    async def finish_listing(self, run_id: int, account: str) -> None:
        """Record that every page of the account's projects was stored."""
        await self._call(lambda c: queries.update_account(c, run_id, account, listed=1))

    async def finish_project(
        self,
        run_id: int,
        account: str,
        project_id: str,
        resources: Sequence[do.Resource],
        *,
        vanished: bool = False,
    ) -> None:
        """Store a project's resources, replacing any earlier ones, and mark it finished."""
        rows = [
            (
                r.urn,
                r.type or "unknown",
                None if r.status is None else str(r.status),
                r.to_dict()["assigned_at"],
                r.links.self_,
            )
            for r in resources
        ]
        await self._call(
            lambda c: queries.finish_project(
                c, run_id, account, project_id, rows, vanished=vanished
            )
        )

    async def finish_account(
        self, run_id: int, account: str, status: RunStatus, error: str | None = None
    ) -> None:
        """Record how one account's audit ended."""
        _check_status(status)
        await self._call(
            lambda c: queries.update_account(c, run_id, account, status=status, error=error)
        )

    async def finish_run(
        self, run_id: int, status: RunStatus, *, finished_at: datetime | None = None
    ) -> None:
        """Record how the run ended."""
        _check_status(status)
        stamp = _stamp(finished_at)
        await self._call(lambda c: queries.finish_run(c, run_id, status, stamp))

    # -- queries --------------------------------------------------------------------------

    async def latest_run(self) -> RunInfo | None:
        """Return the most recently started run."""
        return await self._call(queries.latest_run)

    async def run(self, run_id: int) -> RunInfo | None:
        """Return one run, or ``None`` when there is no such run."""
        return await self._call(lambda c: queries.run_info(c, run_id))

    async def runs(self) -> list[RunInfo]:
        """Return every run, newest first."""
        return await self._call(queries.all_runs)

    async def last_complete_runs(self, count: int = 2) -> list[RunInfo]:
        """Return the ``count`` most recent complete runs, oldest first."""
        return await self._call(lambda c: queries.last_complete_runs(c, count))

    async def unfinished_projects(self, run_id: int, account: str) -> list[do.Project]:
        """Return the account's listed projects whose resources are not stored yet."""
        return await self._call(lambda c: queries.unfinished_projects(c, run_id, account))

    async def inventory(self, run_id: int) -> Inventory:
        """Return every project and resource the run stored."""
        return await self._call(lambda c: queries.inventory(c, run_id, self.path))


def _check_status(status: str) -> None:
    if status not in RUN_STATUSES:
        raise StoreError(f"a run's status is one of {', '.join(RUN_STATUSES)}, not {status!r}")
