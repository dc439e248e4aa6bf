"""Client reliability options: configuration, metering callbacks, logs, trace configs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, Fault, ScriptedResponse
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from aiodo_projects import RateLimit

FAST = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.002)


class CountingLimiter:
    """A replacement limiter: lets everything through and counts the calls."""

    def __init__(self) -> None:
        self.acquired = 0
        self.released: list[tuple[bool, RateLimit | None, float]] = []
        self.paused: list[float] = []

    async def acquire(self, max_wait: float) -> None:
        assert max_wait > 0
        self.acquired += 1

    def release(
        self, *, answered: bool, rate_limit: RateLimit | None = None, reset_in: float = 0.0
    ) -> None:
        self.released.append((answered, rate_limit, reset_in))

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


def test_client_limiter_defaults_shared_per_token_and_origin() -> None:
    a = do.Client(token=TOKEN)
    b = do.Client(token=TOKEN)
    c = do.Client(token=TOKEN + "x")
    assert isinstance(a.rate_limiter, do.TokenBucketLimiter)
    assert a.rate_limiter is b.rate_limiter
    assert c.rate_limiter is not a.rate_limiter
    assert a.rate_limiter.settings == (240, 60.0, True)
    assert TOKEN not in repr(a.rate_limiter)


def test_client_limiter_auto_is_off_for_loopback_and_can_be_forced_on() -> None:
    assert do.Client(token=TOKEN, base_url="http://127.0.0.1:9").rate_limiter is None
    forced = do.Client(token=TOKEN, base_url="http://127.0.0.1:9", rate_limiter=True)
    assert isinstance(forced.rate_limiter, do.TokenBucketLimiter)


def test_client_limiter_can_be_switched_off() -> None:
    assert do.Client(token=TOKEN, rate_limiter=False).rate_limiter is None


def test_client_settings_mismatch_for_one_token_is_refused() -> None:
    keep = do.Client(token="mismatch-token", rate_limiter=do.RateLimits(burst_limit=100))
    with pytest.raises(do.ValidationError, match="the same RateLimits"):
        do.Client(token="mismatch-token", rate_limiter=do.RateLimits(burst_limit=200))
    assert keep.rate_limiter is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"rate_limiter": None}, "rate_limiter must be"),  # off is False, one way
        ({"rate_limiter": "yes"}, "rate_limiter must be"),
        ({"rate_limiter": object()}, "rate_limiter must be"),
    ],
)
def test_client_rejects_bad_reliability_options(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(do.ValidationError, match=match):
        do.Client(token="bad-options-token", **kwargs)


async def test_client_trace_configs_need_an_owned_session() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(do.ValidationError, match="trace_configs"):
            do.Client(token=TOKEN, session=session, trace_configs=[aiohttp.TraceConfig()])


async def test_client_max_retries_overrides_the_policy(fake: FakeDigitalOcean) -> None:
    fake.script("projects_get_default", 503, 503)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, retry_policy=FAST, max_retries=1
    ) as api:
        with pytest.raises(do.ServerError) as info:
            await api.projects.get_default()
    assert info.value.attempts == 2


async def test_client_replacement_limiter_sees_every_attempt(fake: FakeDigitalOcean) -> None:
    limiter = CountingLimiter()
    fake.script(
        "projects_get_default",
        503,
        ScriptedResponse(
            status=429, json={"id": "x", "message": "y"}, headers={"Retry-After": "0"}
        ),
    )
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, rate_limiter=limiter, retry_policy=FAST
    ) as api:
        assert api.rate_limiter is limiter
        await api.projects.get_default()
    assert limiter.acquired == 3
    assert [answered for answered, _, _ in limiter.released] == [True, True, True]
    assert all(rl is not None and rl.limit == 5000 for _, rl, _ in limiter.released)
    assert all(0 <= reset_in <= 3601 for _, _, reset_in in limiter.released)
    assert limiter.paused == [0.0]


async def test_client_meters_retries_and_waits(fake: FakeDigitalOcean) -> None:
    retries: list[do.RetryEvent] = []
    waits: list[do.WaitEvent] = []
    fake.script("projects_get_default", 502, 503)
    async with do.Client(
        token=TOKEN,
        base_url=fake.base_url,
        retry_policy=FAST,
        rate_limiter=do.RateLimits(burst_limit=1, burst_window=0.05),
        on_retry=retries.append,
        on_wait=waits.append,
    ) as api:
        await api.projects.get_default()
    assert [(e.method, e.path, e.attempt, e.reason) for e in retries] == [
        ("GET", "/v2/projects/default", 1, "502"),
        ("GET", "/v2/projects/default", 2, "503"),
    ]
    assert all(0 <= e.delay <= 0.002 for e in retries)
    # One token per 50 ms (returned 50 ms after each answer): the 2nd and 3rd attempts waited.
    assert [w.attempt for w in waits] == [2, 3]
    assert all(0.03 < w.seconds < 0.2 for w in waits)


async def test_client_meters_connection_failures_by_class_name(fake: FakeDigitalOcean) -> None:
    # PATCH, which aiohttp itself never repeats on a dropped connection (it does repeat GET,
    # PUT and DELETE once, as RFC 9112 allows): so the retry seen is this client's own.
    retries: list[do.RetryEvent] = []
    pid = fake.add_project(name="p")["id"]
    fake.script("projects_patch", Fault.close_before_response())
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, retry_policy=FAST, on_retry=retries.append
    ) as api:
        await api.projects.patch(pid, description="d")
    assert [e.reason for e in retries] == ["APIConnectionError"]
    assert fake.received("projects_patch") == 2


async def test_client_logs_retries_and_waits_at_debug_without_the_token(
    fake: FakeDigitalOcean, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("projects_get_default", 503)
    caplog.set_level(logging.DEBUG, logger="aiodo_projects")
    async with do.Client(
        token=TOKEN,
        base_url=fake.base_url,
        retry_policy=FAST,
        rate_limiter=do.RateLimits(burst_limit=1, burst_window=0.02),
    ) as api:
        await api.projects.get_default()
    messages = [r.getMessage() for r in caplog.records]
    assert any("failed (503, attempt 1); retrying in" in m for m in messages)
    assert any("waited" in m and "for the rate limiter" in m for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records)
    assert not any(TOKEN in m for m in messages)


async def test_client_trace_configs_see_every_attempt(fake: FakeDigitalOcean) -> None:
    started: list[str] = []

    async def on_start(
        _session: aiohttp.ClientSession,
        _context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        started.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    fake.script("projects_get_default", 503)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, retry_policy=FAST, trace_configs=[trace]
    ) as api:
        await api.projects.get_default()
    assert started == ["GET", "GET"]


async def test_client_errors_carry_attempts_and_the_last_rate_limit(
    fake: FakeDigitalOcean,
) -> None:
    fake.script("projects_get_default", 503, 404)
    async with do.Client(token=TOKEN, base_url=fake.base_url, retry_policy=FAST) as api:
        with pytest.raises(do.NotFoundError) as info:
            await api.projects.get_default()
        assert info.value.attempts == 2
        assert info.value.rate_limit is not None
        assert info.value.rate_limit == api.rate_limit


async def test_client_decode_errors_carry_attempts_and_the_rate_limit(
    fake: FakeDigitalOcean,
) -> None:
    fake.script("projects_get_default", 502, ScriptedResponse(status=200, json={"nope": 1}))
    async with do.Client(token=TOKEN, base_url=fake.base_url, retry_policy=FAST) as api:
        with pytest.raises(do.DecodeError) as info:
            await api.projects.get_default()
    assert info.value.attempts == 2
    assert info.value.rate_limit is not None
