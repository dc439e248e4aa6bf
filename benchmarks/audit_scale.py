"""The audit job against the least time its limits allow: ``python -m benchmarks.audit_scale``.

Three fake accounts of ``--projects`` projects (two resources each), every limit enforced in
scaled time (DigitalOcean's minute scaled to ``--window`` seconds, its hour likewise), audited
side by side as ``aiodo-projects audit`` does, ``--runs`` times. For each run: the requests,
the 429s (there must be none), the elapsed time and its ratio to the minimum that the burst and
hourly limits impose (worked out with the audit estimate's own model). The target is 1.15x at
most, on a quiet machine; the test suite only guards against pacing bugs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from aiodo_projects.cli._accounts import Account
from aiodo_projects.cli._audit import PER_PAGE, Filters
from aiodo_projects.cli._estimate import Limits, minimum_seconds, requests_needed
from aiodo_projects.cli._job import JobOutcome, Pacing, open_accounts, run_job
from aiodo_projects.cli._sqlite_store import SQLiteStore
from aiodo_projects.testing import FakeAccount, FakeDigitalOcean, LimitConfig

__all__ = ["TOKENS", "audit", "fake_accounts", "main", "minimum", "scaled"]

TOKENS = ("token-prod", "token-staging", "token-dev")
SCALE = 30.0  # DigitalOcean's minute becomes 2 s, its hour 120 s
TARGET = 1.15


def scaled(window: float) -> tuple[LimitConfig, Pacing]:
    """The fake's limits and the job's pacing with a minute of ``window`` seconds."""
    hour = 60 * window
    limits = LimitConfig(minute_window=window, hour_window=hour, enforce=True)
    return limits, Pacing(rate_limiter="on", burst_window=window, hour=hour)


def fake_accounts(limits: LimitConfig, projects: int) -> tuple[FakeDigitalOcean, list[FakeAccount]]:
    """A fake serving the three accounts, each with ``projects`` projects of two resources."""
    fake = FakeDigitalOcean(token=TOKENS[0], limits=limits)
    accounts = [fake, *(fake.add_account(token) for token in TOKENS[1:])]
    for account in accounts:
        account.seed(projects, resources_per_project=2)
    return fake, accounts


async def audit(
    store: SQLiteStore, fake: FakeDigitalOcean, pacing: Pacing, run_id: int | None = None
) -> tuple[int, JobOutcome]:
    """Audit the three accounts side by side as the command does (its estimate probe included)."""
    names = [token.removeprefix("token-") for token in TOKENS]
    if run_id is None:
        run_id = await store.start_run(accounts=names, options={})
    accounts = [(Account(n, t), fake.base_url) for n, t in zip(names, TOKENS, strict=True)]
    async with open_accounts(accounts, pacing) as opened:
        for entry in opened:  # the estimate's probe, as the command makes it
            await entry.client.projects.list(per_page=1)
        outcome = await run_job(
            store, run_id, opened, filters=Filters(), concurrency=8, pacing=pacing
        )
    return run_id, outcome


def minimum(projects: int, pacing: Pacing) -> float:
    """The least time the limits allow one account's audit (they run side by side)."""
    requests = 1 + requests_needed(projects + 1, PER_PAGE)  # the probe, pages, one per project
    limits = Limits(burst=pacing.burst_limit, window=pacing.burst_window, hour=pacing.hour)
    return minimum_seconds(requests, limits)


async def _once(projects: int, window: float, folder: Path) -> tuple[int, int, float, float]:
    limits, pacing = scaled(window)
    fake, _ = fake_accounts(limits, projects)
    async with fake, SQLiteStore(folder / f"audit-{time.monotonic_ns()}.sqlite3") as store:
        started = time.perf_counter()
        _, outcome = await audit(store, fake, pacing)
        elapsed = time.perf_counter() - started
    if outcome.status != "complete":
        msg = f"the audit did not complete: {outcome.reason}"
        raise SystemExit(msg)
    statuses = Counter(r.status for r in fake.requests)
    return fake.received(), statuses[429], elapsed, minimum(projects, pacing)


def main(argv: list[str] | None = None) -> int:
    """Run the scenario and print one row per run, then the spread of the ratio."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audit_scale", description=__doc__)
    parser.add_argument("--projects", type=int, default=1500, help="per account (1,500)")
    parser.add_argument("--runs", type=int, default=5, help="how many runs (5)")
    parser.add_argument("--window", type=float, default=60 / SCALE, help="the scaled minute (2 s)")
    args = parser.parse_args(argv)
    ratios = []
    print("| run | requests | 429s | elapsed s | minimum s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for run in range(1, args.runs + 1):
            requests, limited, elapsed, least = asyncio.run(
                _once(args.projects, args.window, Path(folder))
            )
            ratios.append(elapsed / least)
            print(
                f"| {run} | {requests:,} | {limited} | {elapsed:.2f} | {least:.2f}"
                f" | {elapsed / least:.3f}x |"
            )
    spread = f"{min(ratios):.3f}x to {max(ratios):.3f}x, median {statistics.median(ratios):.3f}x"
    verdict = "met in every run" if max(ratios) <= TARGET else "missed in some run"
    print(f"\nelapsed / minimum: {spread}; the {TARGET}x target is {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
