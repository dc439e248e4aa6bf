"""Audit progress: a line per account, redrawn in place, saying what the audit waits for."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.cli._estimate import Limits, minimum_seconds
from aiodo_projects.cli._progress import AccountWatch, Screen
from aiodo_projects.testing import FakeDigitalOcean, LimitConfig


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_screen_is_silent_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    watch = AccountWatch("prod", burst=10, window=1.0)
    watch.start(done=0, total=3)
    Screen([watch], stream, "Auditing projects").draw()
    assert stream.getvalue() == ""


def test_screen_draws_one_line_per_account_and_redraws_over_it() -> None:
    stream = Terminal()
    clock = [100.0]
    prod = AccountWatch("prod", burst=10, window=60.0, clock=lambda: clock[0])
    staging = AccountWatch("staging\x1b[2J", burst=10, window=60.0, clock=lambda: clock[0])
    prod.start(done=0, total=4)
    staging.start(done=0, total=None)
    screen = Screen([prod, staging], stream, "Auditing projects")
    screen.draw()
    clock[0] += 2.0
    prod.advance()
    prod.advance()
    screen.draw()
    first, second = stream.getvalue().split("\x1b[3F")  # up three lines: title and two accounts
    assert first.startswith("\r\x1b[2KAuditing projects\n")
    lines = re.sub(r"\x1b\[2K", "", second).splitlines()
    assert lines[1].startswith("prod: 2/4  50%  1.0/s  ETA ")
    assert lines[2].startswith("staging\\x1b[2J: 0/?  0.0/s")  # API-side text made visible


async def _limited_client(
    fake: FakeDigitalOcean, watch: AccountWatch, session: aiohttp.ClientSession
) -> do.Client:
    client = do.Client(
        token=fake.token,
        base_url=fake.base_url,
        session=session,
        rate_limiter=do.TokenBucketLimiter(limit=2, window=1.0),
        timeout=do.Timeout(total=30.0, rate_limit_wait=30.0),
        on_wait=watch.on_wait,
    )
    watch.client = client
    return client


@pytest.mark.slow
async def test_watch_says_when_the_burst_limit_lets_the_next_request_go() -> None:
    watch = AccountWatch("prod", burst=2, window=1.0)
    async with (
        FakeDigitalOcean() as fake,
        aiohttp.ClientSession(trace_configs=[watch.trace_config()]) as session,
    ):
        client = await _limited_client(fake, watch, session)
        await client.projects.list()
        await client.projects.list()
        assert watch.waiting_for() == ""
        third = asyncio.create_task(client.projects.list())
        await asyncio.sleep(0.05)
        assert watch.waiting_for() == "rate limit: next request in 1 s"
        await third
    assert watch.waits == 1
    assert 0.8 < watch.waited < 1.2


@pytest.mark.slow
async def test_watch_says_when_the_hourly_budget_resumes() -> None:
    watch = AccountWatch("prod", burst=100, window=1.0)
    limits = LimitConfig(hour_window=120.0, enforce=True)
    async with (
        FakeDigitalOcean(limits=limits) as fake,
        aiohttp.ClientSession(trace_configs=[watch.trace_config()]) as session,
    ):
        client = await _limited_client(fake, watch, session)
        fake.set_remaining(1, reset_in=1.5)
        await client.projects.list()  # leaves 0: the limiter now waits for the reset
        waiting = asyncio.create_task(client.projects.list())
        await asyncio.sleep(0.05)
        reset = client.rate_limit.reset.astimezone(UTC) if client.rate_limit else None
        assert reset is not None
        shown = watch.waiting_for(now_utc=datetime.now(UTC))
        assert shown.startswith("hourly budget spent: resumes ")
        assert shown.endswith(" UTC")
        hours, minutes = map(int, shown.split()[-2].split(":"))
        resumes = reset.replace(second=0, microsecond=0)
        assert (hours, minutes) in {
            (resumes.hour, resumes.minute),
            ((resumes.hour + (resumes.minute + 1) // 60) % 24, (resumes.minute + 1) % 60),
        }
        await waiting


def test_watch_eta_is_never_shorter_than_the_limits_allow() -> None:
    clock = [0.0]
    watch = AccountWatch("prod", burst=10, window=60.0, clock=lambda: clock[0])
    watch.start(done=0, total=100)
    for _ in range(10):
        clock[0] += 0.01
        watch.advance()
    eta = watch.eta()
    assert eta is not None
    assert eta >= minimum_seconds(90, Limits(burst=10, window=60.0))  # not 90 at 1,000/s
    watch.set_total(None)
    assert watch.eta() is None
    watch.set_total(10)
    assert watch.eta() == 0.0
