"""The audit as a job: one client per account, paced by its own limits, audited side by side.

Decisions:

- **Pacing, not per-call timeouts.** ``--timeout`` bounds each network attempt
  (``Timeout(attempt=...)``), not a call: a call may wait for the burst window or
  through an hourly reset, so its own bound is ``--max-duration`` when given and otherwise
  long enough to wait through a whole hour's reset; the limiter's ceiling on one wait is the
  same, so the limiter waits instead of failing.
- **Accounts side by side.** Each account has its own session, client and limiter (its own
  token), and is audited concurrently with the others. One account's failure is recorded on
  that account and the others go on; the run is then ``failed`` (a resume finishes it).
- **Stopping keeps what was fetched.** Ctrl-C (the task is cancelled) or ``--max-duration``
  passing stops every account; each result acknowledged by the store is kept, the run is
  ``partial`` and the caller still builds and writes its report.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import TYPE_CHECKING, Literal

import aiohttp
import attrs

import aiodo_projects as do
from aiodo_projects.cli._accounts import Account
from aiodo_projects.cli._audit import AccountJob, Filters, audit_account
from aiodo_projects.cli._connect import RequestCounter, SharedLimits
from aiodo_projects.cli._errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    describe,
    expected,
    first_error,
)
from aiodo_projects.cli._estimate import HOUR, Limits
from aiodo_projects.cli._progress import AccountWatch, Screen
from aiodo_projects.cli._store import AuditStore, RunStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence


__all__ = ["AccountOutcome", "JobOutcome", "Opened", "Pacing", "open_accounts", "run_job"]

RateLimiterChoice = Literal["auto", "on", "off"]


@attrs.frozen
class Pacing:
    """How the job paces itself: the client's limits and the job's bounds."""

    attempt_timeout: float = 30.0  # --timeout: one network attempt
    max_duration: float | None = None  # --max-duration: the whole job
    rate_limiter: RateLimiterChoice = "auto"
    burst_limit: int = 240
    burst_window: float = 60.0
    hour: float = HOUR  # how long a request counts against the hourly budget
    shared: SharedLimits = attrs.field(factory=SharedLimits)  # --redis-url: with other processes

    @property
    def limiter_choice(self) -> do.RateLimits | bool | Literal["auto"]:
        """The client's ``rate_limiter``: "on" is the limiter of the burst given here."""
        if self.rate_limiter == "off":
            return False
        if self.rate_limiter == "on":
            return do.RateLimits(burst_limit=self.burst_limit, burst_window=self.burst_window)
        return "auto"

    @property
    def call_timeout(self) -> float:
        """The bound on one call: the job's, or long enough to wait through an hourly reset."""
        if self.max_duration is not None:
            return self.max_duration
        return self.hour + 2 * self.burst_window + 4 * self.attempt_timeout

    def limits(self, rate_limit: do.RateLimit | None) -> Limits:
        """Return the limits an estimate assumes, with what the last response said."""
        if rate_limit is None:
            return Limits(burst=self.burst_limit, window=self.burst_window, hour=self.hour)
        hourly = max(1, rate_limit.limit)
        reset_in = rate_limit.reset.timestamp() - time.time()
        return Limits(
            burst=self.burst_limit,
            window=self.burst_window,
            hourly=hourly,
            remaining=min(hourly, max(0, rate_limit.remaining)),
            reset_in=min(self.hour, max(0.0, reset_in)),
            hour=self.hour,
        )


@attrs.frozen
class Opened:
    """One account's open client, its request count and its progress."""

    account: Account
    client: do.Client
    requests: RequestCounter
    watch: AccountWatch


@contextlib.asynccontextmanager
async def open_accounts(
    accounts: Sequence[tuple[Account, str]], pacing: Pacing
) -> AsyncIterator[list[Opened]]:
    """Open one session and client per ``(account, base_url)``, each with its own limiter."""
    async with contextlib.AsyncExitStack() as stack:
        opened = []
        for account, base_url in accounts:
            counter = RequestCounter()
            watch = AccountWatch(
                account.name, burst=pacing.burst_limit, window=pacing.burst_window, hour=pacing.hour
            )
            limits = do.RateLimits(burst_limit=pacing.burst_limit, burst_window=pacing.burst_window)
            shared = await stack.enter_async_context(pacing.shared.limiter(account.token, limits))
            session = await stack.enter_async_context(
                aiohttp.ClientSession(trace_configs=[counter.trace_config(), watch.trace_config()])
            )
            client = await stack.enter_async_context(
                do.Client(
                    token=account.token,
                    base_url=base_url,
                    session=session,
                    timeout=do.Timeout(
                        total=pacing.call_timeout,
                        attempt=pacing.attempt_timeout,
                        rate_limit_wait=pacing.call_timeout,
                    ),
                    rate_limiter=pacing.limiter_choice if shared is None else shared,
                    on_wait=watch.on_wait,
                )
            )
            watch.client = client
            opened.append(Opened(account, client, counter, watch))
        yield opened


@attrs.frozen
class AccountOutcome:
    """How one account's audit ended."""

    name: str
    status: RunStatus
    error: str | None
    requests: int
    rate_limit: do.RateLimit | None
    waited: float


@attrs.frozen
class JobOutcome:
    """How the job ended: the run's status, why it stopped early, and the exit code."""

    run_id: int
    status: RunStatus
    reason: str | None
    accounts: tuple[AccountOutcome, ...]
    seconds: float

    @property
    def exit_code(self) -> int:
        """0 when complete, 130 when interrupted, 1 otherwise."""
        if self.status == "complete":
            return 0
        return EXIT_INTERRUPTED if self.reason == "interrupted" else EXIT_FAILURE


async def run_job(
    store: AuditStore,
    run_id: int,
    opened: Sequence[Opened],
    *,
    filters: Filters,
    concurrency: int,
    pacing: Pacing,
) -> JobOutcome:
    """Audit every account into run ``run_id``; stop early on Ctrl-C or ``--max-duration``."""
    started = time.perf_counter()
    errors: dict[str, str] = {}
    screen = Screen([o.watch for o in opened], sys.stderr, "Auditing projects")

    reason = None
    failure: BaseException | None = None
    drawing = asyncio.create_task(screen.run())
    try:
        async with asyncio.timeout(pacing.max_duration), asyncio.TaskGroup() as tasks:
            for entry in opened:
                job = AccountJob(store, run_id, entry.account.name, filters, concurrency)
                tasks.create_task(_audit(entry, job, errors))
    except TimeoutError:
        reason = f"stopped after --max-duration {pacing.max_duration:g} s"
    except BaseExceptionGroup as group:
        failure = first_error(group)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # the report of what was fetched is still to be written
        reason = "interrupted"
    finally:
        drawing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drawing
        screen.draw()
    if failure is not None:
        raise failure
    return await _record(
        store, run_id, opened, errors, reason=reason, seconds=time.perf_counter() - started
    )


async def _audit(entry: Opened, job: AccountJob, errors: dict[str, str]) -> None:
    """Audit one account; its expected failure is noted in ``errors`` and the others go on."""
    try:
        await audit_account(entry.client, job, entry.watch)
    except Exception as exc:
        if not expected(exc):
            raise  # a bug, not the account's failure: shown as one, with -v its traceback
        errors[entry.account.name] = describe(exc)[0]
        entry.watch.finished_state = "failed"
    else:
        entry.watch.finished_state = "done"


async def _record(
    store: AuditStore,
    run_id: int,
    opened: Sequence[Opened],
    errors: dict[str, str],
    *,
    reason: str | None,
    seconds: float,
) -> JobOutcome:
    run = await store.run(run_id)
    finished = {
        a.name
        for a in (run.accounts if run is not None else ())
        if a.listed and a.finished == a.projects
    }
    outcomes = []
    for entry in opened:
        name = entry.account.name
        status: RunStatus = (
            "failed" if name in errors else "complete" if name in finished else "partial"
        )
        await store.finish_account(run_id, name, status, errors.get(name))
        outcomes.append(
            AccountOutcome(
                name,
                status,
                errors.get(name),
                entry.requests.count,
                entry.client.rate_limit,
                entry.watch.waited,
            )
        )
    statuses = {o.status for o in outcomes}
    overall: RunStatus = (
        "complete" if statuses == {"complete"} else "failed" if "failed" in statuses else "partial"
    )
    if overall == "failed" and reason is None:
        reason = "failed: " + "; ".join(f"{name}: {error}" for name, error in errors.items())
    await store.finish_run(run_id, overall)
    return JobOutcome(run_id, overall, reason, tuple(outcomes), seconds)
