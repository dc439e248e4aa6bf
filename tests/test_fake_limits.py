from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime

import pytest

from aiodo_projects.testing import FakeDigitalOcean, LimitConfig
from aiodo_projects.testing._limits import RateLimiter
from tests.fake_http import send


class Clock:
    """A settable clock for the fake."""

    def __init__(self, now: float = 1_700_000_000.25) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_fake_headers_count_down_the_hourly_budget() -> None:
    clock = Clock()
    limits = LimitConfig(per_hour=100, hour_window=50.0)
    async with FakeDigitalOcean(clock=clock, limits=limits) as fake:
        first = await send(fake, "GET", "/v2/projects")
        clock.now += 10
        second = await send(fake, "GET", "/v2/projects")
        assert first.headers["ratelimit-limit"] == "100"
        assert first.headers["ratelimit-remaining"] == "99"
        assert second.headers["ratelimit-remaining"] == "98"
        # The oldest request expires 50 s after it arrived, rounded up.
        assert second.headers["ratelimit-reset"] == str(1_700_000_051)
        clock.now += 41  # the first request has expired
        third = await send(fake, "GET", "/v2/projects")
        assert third.headers["ratelimit-remaining"] == "98"
        assert third.headers["ratelimit-reset"] == str(1_700_000_061)


async def test_fake_minute_limit_answers_429_without_processing() -> None:
    clock = Clock()
    limits = LimitConfig(per_minute=3, minute_window=6.0, enforce=True)
    async with FakeDigitalOcean(clock=clock, limits=limits) as fake:
        for _ in range(3):
            assert (await send(fake, "GET", "/v2/projects")).status == 200
        clock.now += 2
        refused = await send(fake, "POST", "/v2/projects", json={"name": "x", "purpose": "IoT"})
        assert refused.status == 429
        assert refused.json["id"] == "too_many_requests"
        assert refused.json["message"] == "API rate limit exceeded."
        assert refused.headers["Retry-After"] == "4"
        assert refused.headers["ratelimit-remaining"] == "4997"  # the 429 is not counted
        assert fake.processed_writes() == 0
        assert len(fake.projects) == 1
        assert fake.requests[-1].status == 429
        clock.now += 4  # the first three requests leave the window
        again = await send(fake, "POST", "/v2/projects", json={"name": "x", "purpose": "IoT"})
        assert again.status == 201
        assert again.headers["ratelimit-remaining"] == "4996"


async def test_fake_hourly_limit_uses_the_pretend_budget() -> None:
    clock = Clock()
    limits = LimitConfig(per_hour=10, hour_window=100.0, enforce=True)
    async with FakeDigitalOcean(clock=clock, limits=limits) as fake:
        fake.set_remaining(1, reset_in=30)
        answer = await send(fake, "GET", "/v2/projects")
        assert answer.status == 200
        assert answer.headers["ratelimit-remaining"] == "0"
        assert answer.headers["ratelimit-reset"] == str(1_700_000_031)
        refused = await send(fake, "GET", "/v2/projects")
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "30"
        clock.now += 30
        assert (await send(fake, "GET", "/v2/projects")).status == 200


async def test_fake_set_remaining_can_raise_the_budget_again() -> None:
    clock = Clock()
    async with FakeDigitalOcean(clock=clock, limits=LimitConfig(per_hour=10)) as fake:
        for _ in range(4):
            await send(fake, "GET", "/v2/projects")
        fake.set_remaining(8)
        answer = await send(fake, "GET", "/v2/projects")
        assert answer.headers["ratelimit-remaining"] == "7"
        fake.set_remaining(0)
        answer = await send(fake, "GET", "/v2/projects")
        assert answer.status == 200  # not enforced: the headers only report
        assert answer.headers["ratelimit-remaining"] == "0"
        fake.set_remaining(10)
        assert (await send(fake, "GET", "/v2/projects")).headers["ratelimit-remaining"] == "9"


async def test_fake_logs_are_per_token() -> None:
    limits = LimitConfig(per_minute=1, enforce=True)
    async with FakeDigitalOcean(tokens=["a", "b"], clock=Clock(), limits=limits) as fake:
        assert (await send(fake, "GET", "/v2/projects", token="a")).status == 200
        assert (await send(fake, "GET", "/v2/projects", token="b")).status == 200
        assert (await send(fake, "GET", "/v2/projects", token="a")).status == 429
        assert (await send(fake, "GET", "/v2/projects", token=None)).status == 401
        fake.set_remaining(5, token="b")
        answer = await send(fake, "GET", "/v2/projects", token="b")
        assert answer.status == 429  # b's minute is spent too
        assert answer.headers["ratelimit-remaining"] == "5"


async def test_fake_date_skew_moves_date_and_reset_but_not_retry_after() -> None:
    clock = Clock(1_700_000_000.0)
    limits = LimitConfig(per_minute=1, minute_window=60.0, enforce=True)
    async with FakeDigitalOcean(clock=clock, limits=limits, date_skew=-300.0) as fake:
        answer = await send(fake, "GET", "/v2/projects")
        date = parsedate_to_datetime(answer.headers["Date"]).timestamp()
        assert date == 1_700_000_000 - 300
        assert int(answer.headers["ratelimit-reset"]) - date == 3600
        clock.now += 20
        refused = await send(fake, "GET", "/v2/projects")
        assert refused.headers["Retry-After"] == "40"


async def test_fake_scaled_windows_expire_in_real_time() -> None:
    limits = LimitConfig(per_minute=2, minute_window=0.3, enforce=True)
    async with FakeDigitalOcean(limits=limits) as fake:
        assert (await send(fake, "GET", "/v2/projects")).status == 200
        assert (await send(fake, "GET", "/v2/projects")).status == 200
        refused = await send(fake, "GET", "/v2/projects")
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "1"  # rounded up to whole seconds
        await asyncio.sleep(0.35)
        assert (await send(fake, "GET", "/v2/projects")).status == 200


@pytest.mark.parametrize(
    "kwargs",
    [{"per_minute": 0}, {"per_hour": 0}, {"minute_window": 0.0}, {"hour_window": -1.0}],
)
def test_fake_limit_config_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        LimitConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("remaining", "reset_in"), [(-1, 10.0), (11, 10.0), (5, 0.0), (5, 101.0)])
def test_fake_set_remaining_rejects_nonsense(remaining: int, reset_in: float) -> None:
    limiter = RateLimiter(LimitConfig(per_hour=10, hour_window=100.0))
    with pytest.raises(ValueError, match="must be"):
        limiter.set_remaining("t", remaining, 0.0, reset_in)


def test_fake_limiter_refuses_on_both_windows_and_reports_the_longer_wait() -> None:
    limiter = RateLimiter(
        LimitConfig(per_minute=2, per_hour=2, minute_window=10, hour_window=50, enforce=True)
    )
    assert limiter.admit("t", 0.0).admitted
    assert limiter.admit("t", 1.0).admitted
    refused = limiter.admit("t", 5.0)
    assert not refused.admitted
    assert refused.retry_after == 45.0
    assert refused.headers(0.0)["Retry-After"] == "45"
    admitted = limiter.admit("t", 50.0)
    assert admitted.admitted
    assert admitted.remaining == 0
    assert "Retry-After" not in admitted.headers(0.0)
    assert limiter.peek(None, 7.0).reset == 7.0
