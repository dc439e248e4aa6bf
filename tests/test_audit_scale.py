"""The audit job at scale, in scaled time: three accounts, every limit enforced, and a resume.

The fake's windows are scaled down (a "minute" of a few seconds) and the client's burst
window with them, so the job meets the same limits as against DigitalOcean in a fraction of
the time. The least time the limits allow is worked out with the estimate's own model.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from aiodo_projects.cli._audit import PER_PAGE
from aiodo_projects.cli._estimate import requests_needed
from aiodo_projects.cli._run_report import RunReport
from aiodo_projects.cli._sqlite_store import SQLiteStore
from benchmarks.audit_scale import TOKENS, audit, fake_accounts, minimum, scaled

if TYPE_CHECKING:
    from pathlib import Path

    from aiodo_projects.cli._store import AuditStore
    from aiodo_projects.testing import FakeDigitalOcean

RUN_META = ("generated_at", "run", "requests", "seconds", "rate_limit")


def _report_json(report: RunReport) -> dict[str, object]:
    data = report.as_json()
    assert isinstance(data, dict)
    kept = {k: v for k, v in data.items() if k not in RUN_META}
    kept["accounts"] = [
        {k: v for k, v in account.items() if k not in RUN_META} for account in data["accounts"]
    ]
    return kept


def _statuses(fake: FakeDigitalOcean) -> Counter[int | None]:
    return Counter(r.status for r in fake.requests)


@pytest.mark.slow
async def test_audit_scale_three_accounts_complete_under_every_limit_near_the_minimum(
    tmp_path: Path,
) -> None:
    limits, pacing = scaled(2.0)  # DigitalOcean's minute, scaled down 30 times; the hour likewise
    fake, accounts = fake_accounts(limits, 1500)
    async with fake, SQLiteStore(tmp_path / "audit.sqlite3") as store:
        started = time.perf_counter()
        run_id, outcome = await audit(store, fake, pacing)
        elapsed = time.perf_counter() - started
        inventory = await store.inventory(run_id)
    requests = 1 + requests_needed(1501, PER_PAGE)  # the probe, the pages, one per project
    least = minimum(1500, pacing)
    assert outcome.status == "complete", outcome.reason
    assert _statuses(fake) == {200: 3 * requests}  # 0 x 429, nothing retried
    assert elapsed >= least
    # A loose guard against a pacing bug (a lost window, waits that never end), not a timing
    # target: the suite runs beside other work. How close the job comes to the minimum is
    # measured on a quiet machine by ``python -m benchmarks.audit_scale`` (1.15x at most).
    assert elapsed <= 1.5 * least, (elapsed, least)
    report = RunReport.from_inventory(inventory, outcome)
    for account, section in zip(accounts, report.sections, strict=True):
        stored = inventory.of(section.name)
        assert [s.project.id for s in stored] == list(account.projects)
        assert all(s.finished for s in stored)
        assert {s.project.id: {r.urn for r in s.resources} for s in stored} == {
            pid: {r["urn"] for r in account.resources_of(pid)} for pid in account.projects
        }
        assert len(section.report.present) == 1501
        assert section.report.total_resources == 3000
    assert report.summary.total_resources == 9000
    print(  # noqa: T201 - the figures the test measured, shown with -s
        f"\nscale: {fake.received()} requests, {_statuses(fake)[429]} x 429,"
        f" {elapsed:.2f} s against a minimum of {least:.2f} s ({elapsed / least:.3f}x)"
    )


@pytest.mark.slow
async def test_audit_scale_interrupted_at_half_and_resumed_reports_as_if_uninterrupted(
    tmp_path: Path,
) -> None:
    limits, pacing = scaled(0.5)
    fake, _ = fake_accounts(limits, 600)
    fake.latency = 0.002
    async with fake, SQLiteStore(tmp_path / "audit.sqlite3") as store:
        job = asyncio.create_task(audit(store, fake, pacing))
        while await _finished(store) < 3 * 601 // 2:  # noqa: ASYNC110 - polls the store
            await asyncio.sleep(0.01)
        job.cancel()
        run_id, interrupted = await job
        partial = await store.inventory(run_id)
        finished_first = {(s.account, s.project.id) for s in partial.projects if s.finished}
        assert interrupted.status == "partial"
        assert interrupted.reason == "interrupted"
        assert 0.4 < len(finished_first) / (3 * 601) < 0.8

        _, resumed = await audit(store, fake, pacing, run_id=run_id)
        assert resumed.status == "complete"
        resumed_report = RunReport.from_inventory(await store.inventory(run_id), resumed)
        both_parts = list(fake.requests)

        fake.clear_requests()
        other_id, uninterrupted = await audit(store, fake, pacing)
        assert uninterrupted.status == "complete"
        reference = RunReport.from_inventory(await store.inventory(other_id), uninterrupted)
    assert _report_json(resumed_report) == _report_json(reference)
    assert resumed_report.summary.total_resources == 3 * 1200
    assert not any(r.status == 429 for r in both_parts)
    names = dict(zip((f"Bearer {t}" for t in TOKENS), ("prod", "staging", "dev"), strict=True))
    fetched = Counter(
        (names[r.headers["Authorization"]], r.path.split("/")[3])
        for r in both_parts
        if r.operation == "projects_list_resources" and r.status == 200
    )
    assert len(fetched) == 3 * 601  # every project's resources, in one run or the other
    assert all(fetched[key] == 1 for key in finished_first)  # none fetched again
    again = [key for key, count in fetched.items() if count > 1]
    assert len(again) <= 3 * 8  # at most those in flight when it was interrupted
    print(  # noqa: T201 - the figures the test measured, shown with -s
        f"\nresume: {len(finished_first)} of {3 * 601} projects finished before the"
        f" interruption, {len(again)} in flight then fetched again, none finished fetched twice"
    )


async def _finished(store: AuditStore) -> int:
    run = await store.latest_run()
    return 0 if run is None else sum(account.finished for account in run.accounts)
