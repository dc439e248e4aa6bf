"""The audit waits through an hourly reset: from the command line, against a fake enforcing
every limit, with a budget nearly spent that resets within seconds.

The fake's windows are DigitalOcean's own (a minute, an hour); only the budget's reset is
brought close, by pretending the requests that spent it were made almost an hour ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.cli import main
from aiodo_projects.cli._progress import AccountWatch
from aiodo_projects.testing import FakeDigitalOcean, LimitConfig
from tests.cli_support import TOKEN, fake_in_thread

if TYPE_CHECKING:
    from pathlib import Path

PROJECTS = 20
LEFT = 6  # of the hour's budget when the audit starts
RESET_IN = 2.0  # seconds until the spent budget comes back


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so the progress screen is drawn."""

    def isatty(self) -> bool:
        return True


def _nearly_spent(fake: FakeDigitalOcean) -> None:
    fake.seed(PROJECTS, resources_per_project=2)
    fake.set_remaining(LEFT, reset_in=RESET_IN)


@pytest.mark.slow
def test_cli_audit_waits_through_an_hourly_reset_and_completes_without_a_429(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    db = str(tmp_path / "runs.sqlite3")
    screen = Terminal()
    with fake_in_thread(_nearly_spent, limits=LimitConfig(enforce=True)) as fake:
        argv = ["--base-url", fake.base_url, "--token", TOKEN, "audit", "--db", db]
        monkeypatch.setattr(sys, "stderr", screen)
        started = time.perf_counter()
        code = main([*argv, "--rate-limiter", "on", "-o", "json"])
        elapsed = time.perf_counter() - started
        monkeypatch.undo()
        out = capsys.readouterr().out
        assert code == 0, screen.getvalue()
        statuses = Counter(r.status for r in fake.requests)
        projects = {pid: {r["urn"] for r in fake.resources_of(pid)} for pid in fake.projects}
        export = main(["audit", "export", "--db", db, "-o", "json"])
    report = json.loads(out)
    requests = 1 + 1 + (PROJECTS + 1)  # the estimate's probe, one listing page, one per project
    assert statuses == {200: requests}  # 0 x 429: the audit waited instead of being refused
    assert RESET_IN - 0.5 < elapsed < RESET_IN + 8, elapsed
    assert report["run"]["status"] == "complete"
    assert report["projects"] == PROJECTS + 1
    assert report["resources"] == 2 * PROJECTS

    assert export == 0
    stored = json.loads(capsys.readouterr().out)
    assert {p["project"]["id"]: {r["urn"] for r in p["resources"]} for p in stored["projects"]} == (
        projects
    )
    assert all(p["finished"] for p in stored["projects"])

    shown = screen.getvalue()
    assert f"Estimate for default: {PROJECTS + 1} projects; about " in shown
    assert f"; {LEFT - 1} left this hour; " in shown
    assert "hourly budget spent: resumes " in shown  # the screen said what it waited for
    final, status = shown.rsplit("\x1b[2K", 1)[1].splitlines()
    assert final.startswith(f"default: {PROJECTS + 1}/{PROJECTS + 1}  100%  ")
    assert final.endswith("  done")
    assert status == "aiodo-projects: Run 1: complete"  # and no warning: the budget came back


async def test_watch_does_not_claim_a_spent_budget_once_its_reset_has_passed() -> None:
    watch = AccountWatch("prod", burst=100, window=1.0)
    limits = LimitConfig(hour_window=120.0, enforce=True)
    async with (
        FakeDigitalOcean(limits=limits) as fake,
        aiohttp.ClientSession(trace_configs=[watch.trace_config()]) as session,
        do.Client(
            token=fake.token,
            base_url=fake.base_url,
            session=session,
            rate_limiter=do.TokenBucketLimiter(limit=100, window=1.0),
            timeout=do.Timeout(total=120.0, rate_limit_wait=120.0),
            on_wait=watch.on_wait,
        ) as client,
    ):
        watch.client = client
        watch.start(done=0, total=10)
        fake.set_remaining(1, reset_in=30.0)
        await client.projects.list()  # leaves 0: the limiter now waits for the reset
        waiting = asyncio.create_task(client.projects.list())
        await asyncio.sleep(0.05)
        assert client.rate_limit is not None
        reset = client.rate_limit.reset.astimezone(UTC)
        before = watch.waiting_for(now_utc=reset - timedelta(seconds=1))
        after = watch.waiting_for(now_utc=reset + timedelta(seconds=1))
        line = watch.line(200)
        eta = watch.eta()
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    assert before.startswith("hourly budget spent: resumes ")
    assert after == "waiting for the rate limiter"  # one request seen: not the burst limit
    assert datetime.now(UTC) < reset
    assert line.startswith("prod: 0/10  0%  0.0/s  ETA ")
    assert line.endswith(before)
    assert eta is not None
    assert eta > 25  # by the budget the client read: nothing can go before the reset, 30 s away
