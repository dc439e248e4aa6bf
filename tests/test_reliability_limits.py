"""The rate limiter end to end against the fake enforcing its limits (scaled windows).

``python -m tests.test_reliability_limits`` runs the measured scenarios and prints their
figures (429 count, wall time against the ideal).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass

import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, LimitConfig, ScriptedResponse
from tests.conftest import TOKEN


@dataclass(frozen=True)
class Figures:
    """What a scenario measured."""

    requests: int
    rate_limited: int
    wall: float
    ideal: float

    @property
    def ratio(self) -> float:
        return self.wall / self.ideal if self.ideal else 0.0


def count_429(fake: FakeDigitalOcean) -> int:
    return sum(1 for r in fake.requests if r.status == 429)


def limited_client(fake: FakeDigitalOcean, *, limit: int, window: float) -> do.Client:
    return do.Client(
        token=TOKEN,
        base_url=fake.base_url,
        rate_limiter=do.RateLimits(burst_limit=limit, burst_window=window),
        timeout=60.0,
    )


async def shared_token(
    *, calls: int = 75, limit: int = 25, window: float = 6.0, tasks: int = 8
) -> Figures:
    """Two clients on one token, ``tasks`` tasks making ``calls`` GETs in all."""
    limits = LimitConfig(per_minute=limit, minute_window=window, enforce=True)
    async with FakeDigitalOcean(token=TOKEN, limits=limits) as fake:
        fake.add_project(name="p")
        async with (
            limited_client(fake, limit=limit, window=window) as first,
            limited_client(fake, limit=limit, window=window) as second,
        ):
            assert first.rate_limiter is second.rate_limiter
            todo = iter(range(calls))

            async def worker(client: do.Client) -> None:
                for _ in todo:
                    await client.projects.list(per_page=5)

            started = time.monotonic()
            await asyncio.gather(*(worker((first, second)[i % 2]) for i in range(tasks)))
            wall = time.monotonic() - started
            limiter = first.rate_limiter
            assert isinstance(limiter, do.TokenBucketLimiter)
            assert (limiter.waiting, limiter.in_flight) == (0, 0)
        return Figures(
            requests=fake.received(),
            rate_limited=count_429(fake),
            wall=wall,
            ideal=(calls - limit) / limit * window,
        )


async def storm(*, callers: int = 32, warm: bool, window: float = 1.0) -> Figures:
    """``callers`` concurrent GETs on a token another process just exhausted."""
    per_window = 40
    limits = LimitConfig(per_minute=per_window, minute_window=window, enforce=True)
    async with FakeDigitalOcean(token=TOKEN, limits=limits) as fake:
        async with limited_client(fake, limit=per_window, window=window) as client:
            if warm:  # the limiter has heard from the server: no probing
                await client.projects.get_default()
            async with do.Client(
                token=TOKEN, base_url=fake.base_url, rate_limiter=False, max_retries=0
            ) as other:
                exhausting = [other.projects.get_default() for _ in range(per_window)]
                await asyncio.gather(*exhausting, return_exceptions=True)
            before = fake.received()
            started = time.monotonic()
            results = await asyncio.gather(*(client.projects.get_default() for _ in range(callers)))
            wall = time.monotonic() - started
        assert all(p.is_default for p in results)
        storm_requests = fake.requests[before:]
        return Figures(
            requests=len(storm_requests),
            rate_limited=sum(1 for r in storm_requests if r.status == 429),
            wall=wall,
            ideal=window,  # the exhausting requests expire a window after they were made
        )


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_limiter_two_clients_sharing_a_token_stay_under_the_limit() -> None:
    """Issue 3: 8 tasks, 75 GETs against 25 per 6 s: zero 429s, within 1.15x of the ideal."""
    figures = await asyncio.wait_for(shared_token(), 30.0)
    assert figures.rate_limited == 0
    assert figures.requests == 75
    assert figures.ideal == 12.0
    assert figures.ratio <= 1.15, figures


@pytest.mark.slow
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
async def test_limiter_429_storm_pauses_everyone_once(warm: bool) -> None:
    figures = await asyncio.wait_for(storm(warm=warm), 20.0)
    # Every caller succeeded; no more 429s than requests in flight when the first came back:
    # one probe on a limiter that has not heard from the server yet, else the 32 sent at once.
    assert figures.rate_limited == (32 if warm else 1)
    assert figures.requests == 32 + figures.rate_limited
    assert figures.wall < 1.0 + 1.5  # one Retry-After (whole seconds), not one per caller


@pytest.mark.slow
@pytest.mark.parametrize("skew", [-300.0, 0.0, 300.0])
async def test_limiter_exhausted_hourly_budget_waits_until_reset(skew: float) -> None:
    """The last request of the hour answers remaining=0: the next waits for ratelimit-reset,
    timed by the server's Date even when its clock is 5 minutes off, and sends no 429."""
    async with FakeDigitalOcean(
        token=TOKEN, limits=LimitConfig(enforce=True), date_skew=skew
    ) as fake:
        fake.set_remaining(1, reset_in=1.0)
        async with limited_client(fake, limit=100, window=1.0) as client:
            await client.projects.get_default()
            assert client.rate_limit is not None
            assert client.rate_limit.remaining == 0
            started = time.monotonic()
            await client.projects.get_default()
            waited = time.monotonic() - started
    assert count_429(fake) == 0
    assert 0.9 <= waited < 1.0 + 2.5  # Date and ratelimit-reset are whole seconds


async def test_limiter_exhausted_hourly_budget_beyond_the_ceiling_raises_at_once() -> None:
    async with FakeDigitalOcean(token=TOKEN, limits=LimitConfig(enforce=True)) as fake:
        fake.set_remaining(0, reset_in=120.0)
        async with limited_client(fake, limit=100, window=1.0) as client:
            started = time.monotonic()
            with pytest.raises(do.RateLimitError) as first:
                await client.projects.get_default()
            assert first.value.retry_after == pytest.approx(120, abs=2)
            assert first.value.status == 429
            assert first.value.attempts == 1
            with pytest.raises(do.RateLimitError) as second:  # known: not even sent
                await client.projects.get_default()
            elapsed = time.monotonic() - started
    assert elapsed < 0.5
    assert fake.received() == 1
    assert second.value.retry_after == pytest.approx(120, abs=3)
    assert "longer than the 60 s this client waits" in str(second.value)
    assert second.value.attempts == 0  # the second call sent nothing
    assert second.value.rate_limit is not None
    assert second.value.rate_limit.remaining == 0


@pytest.mark.slow
async def test_limiter_waits_through_an_hourly_reset_under_a_raised_ceiling() -> None:
    async with FakeDigitalOcean(token=TOKEN, limits=LimitConfig(enforce=True)) as fake:
        fake.set_remaining(0, reset_in=1.0)
        async with do.Client(
            token=TOKEN,
            base_url=fake.base_url,
            rate_limiter=True,
            timeout=do.Timeout(rate_limit_wait=5.0),
        ) as client:
            project = await client.projects.get_default()
    assert project.is_default
    assert count_429(fake) == 1  # the first request learned the budget the hard way


async def test_limiter_inherited_from_a_server_with_a_later_reset_obeys_an_exhausted_budget() -> (
    None
):
    """A limiter shared over one origin outlives its server: a new fake on the same port (as
    when the system hands a test an earlier test's port) reports a spent budget whose reset is
    earlier than the last one the limiter heard. The spent budget is obeyed all the same."""
    async with FakeDigitalOcean(token=TOKEN, date_skew=300.0) as earlier:
        port = int(earlier.base_url.rsplit(":", 1)[1])
        kept = limited_client(earlier, limit=100, window=1.0)
        async with kept:
            await kept.projects.get_default()  # reset about an hour ahead, 300 s fast
    async with FakeDigitalOcean(token=TOKEN, port=port, limits=LimitConfig(enforce=True)) as fake:
        fake.set_remaining(0, reset_in=120.0)
        async with limited_client(fake, limit=100, window=1.0) as client:
            assert client.rate_limiter is kept.rate_limiter
            with pytest.raises(do.RateLimitError):
                await client.projects.get_default()
            with pytest.raises(do.RateLimitError) as second:  # known: not even sent
                await client.projects.get_default()
    assert fake.received() == 1
    assert second.value.retry_after == pytest.approx(120, abs=3)


def hostile(reset_ahead: float) -> ScriptedResponse:
    """A 404 whose headers say the hourly budget is spent until ``reset_ahead`` s from now."""
    headers = {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(time.time() + reset_ahead)),
    }
    body = {"id": "not_found", "message": "The resource you requested could not be found."}
    return ScriptedResponse(404, json=body, headers=headers)


async def test_limiter_hostile_reset_holds_every_client_for_an_hour_at_most() -> None:
    async with FakeDigitalOcean(token=TOKEN) as fake:
        fake.script("projects_get_default", hostile(10.0**9))
        async with (
            limited_client(fake, limit=100, window=60.0) as first,
            limited_client(fake, limit=100, window=60.0) as second,
        ):
            with pytest.raises(do.NotFoundError):
                await first.projects.get_default()
            for client in (first, second):
                with pytest.raises(do.RateLimitError) as refused:
                    await client.projects.get_default()
                assert refused.value.retry_after is not None
                assert 3590 <= refused.value.retry_after <= 3600
    assert fake.received() == 1


async def test_limiter_recovers_when_the_hostile_reset_clamp_expires() -> None:
    now = [0.0]
    limiter = do.TokenBucketLimiter(limit=100, window=60.0, clock=lambda: now[0])
    async with FakeDigitalOcean(token=TOKEN) as fake:
        fake.script("projects_get_default", hostile(10.0**9))
        async with (
            do.Client(token=TOKEN, base_url=fake.base_url, rate_limiter=limiter) as first,
            do.Client(token=TOKEN, base_url=fake.base_url, rate_limiter=limiter) as second,
        ):
            with pytest.raises(do.NotFoundError):
                await first.projects.get_default()
            now[0] = 3539.0  # 61 s left: over the 60 s this client waits
            with pytest.raises(do.RateLimitError):
                await second.projects.get_default()
            now[0] = 3600.0  # an hour later the report no longer holds anyone back
            assert (await second.projects.get_default()).is_default
            # The sane answer was believed although its reset is far before the hostile one.
            assert limiter.remaining is not None
            assert limiter.remaining > 4000
            projects = await asyncio.gather(*(first.projects.get_default() for _ in range(5)))
    assert all(p.is_default for p in projects)
    assert fake.received() == 1 + 1 + 5


def main() -> None:
    """Print the measured figures of the issue's scenarios as JSON."""
    runs = {
        "shared_token": asyncio.run(shared_token()),
        "storm_cold": asyncio.run(storm(warm=False)),
        "storm_warm": asyncio.run(storm(warm=True)),
    }
    report = {name: {**asdict(f), "ratio": round(f.ratio, 3)} for name, f in runs.items()}
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
