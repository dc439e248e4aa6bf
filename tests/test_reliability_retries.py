"""Retries against the loopback fake: transient faults, POST safety, the budget, deadlines."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects._retry import human_duration
from aiodo_projects.testing import FakeDigitalOcean, Fault, ScriptedResponse
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aioresponses import aioresponses

FAST = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.005)
FIELDS: dict[str, Any] = {
    "name": "renamed",
    "description": "d",
    "purpose": "Web Application",
    "environment": "Staging",
    "is_default": False,
}


@pytest.fixture
async def client(fake: FakeDigitalOcean) -> AsyncIterator[do.Client]:
    async with do.Client(token=TOKEN, base_url=fake.base_url, retry_policy=FAST) as api:
        yield api


Call = Callable[[do.Client, str], Awaitable[object]]
IDEMPOTENT: dict[str, tuple[str, Call]] = {
    "GET": ("projects_get", lambda c, pid: c.projects.get(pid)),
    "PUT": ("projects_update", lambda c, pid: c.projects.update(pid, **FIELDS)),
    "PATCH": ("projects_patch", lambda c, pid: c.projects.patch(pid, description="x")),
    "DELETE": ("projects_delete", lambda c, pid: c.projects.delete(pid)),
}


@pytest.mark.parametrize("method", list(IDEMPOTENT))
@pytest.mark.parametrize("k", [1, 2, 3])
async def test_retry_idempotent_method_succeeds_after_k_failures_with_k_plus_one_attempts(
    fake: FakeDigitalOcean, client: do.Client, method: str, k: int
) -> None:
    operation, call = IDEMPOTENT[method]
    pid = fake.add_project(name="p")["id"]
    fake.script(operation, *[500, 502, 503, 504][:k])
    await call(client, pid)
    assert fake.received(operation) == k + 1


@pytest.mark.parametrize("method", list(IDEMPOTENT))
async def test_retry_idempotent_method_gives_up_after_max_retries(
    fake: FakeDigitalOcean, client: do.Client, method: str
) -> None:
    operation, call = IDEMPOTENT[method]
    pid = fake.add_project(name="p")["id"]
    fake.script(operation, 503, 503, 503, 503)
    with pytest.raises(do.ServerError) as info:
        await call(client, pid)
    assert fake.received(operation) == 4
    assert info.value.attempts == 4
    assert info.value.status == 503
    assert "gave up after 4 attempts" in info.value.__notes__
    assert info.value.rate_limit is not None


@pytest.mark.parametrize(
    "fault",
    [
        Fault.close_before_response(),
        Fault.reset_after_processing(),
        Fault.truncated_body(),
        Fault.html_error(502),
        ScriptedResponse(status=504, body="gateway timeout", content_type="text/plain"),
    ],
    ids=["closed", "reset", "truncated", "html-502", "plain-504"],
)
async def test_retry_get_recovers_from_every_transient_fault(
    fake: FakeDigitalOcean, client: do.Client, fault: Fault | ScriptedResponse
) -> None:
    fake.script("projects_get_default", fault)
    project = await client.projects.get_default()
    assert project.is_default
    assert fake.received("projects_get_default") == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 422, 501])
async def test_retry_never_for_a_final_status(
    fake: FakeDigitalOcean, client: do.Client, status: int
) -> None:
    fake.script("projects_get_default", status)
    with pytest.raises(do.APIStatusError) as info:
        await client.projects.get_default()
    assert info.value.status == status
    assert info.value.attempts == 1
    assert fake.received() == 1


async def test_retry_off_with_max_retries_zero(fake: FakeDigitalOcean) -> None:
    fake.script("projects_get_default", 503)
    async with do.Client(token=TOKEN, base_url=fake.base_url, max_retries=0) as api:
        with pytest.raises(do.ServerError) as info:
            await api.projects.get_default()
    assert info.value.attempts == 1
    assert not getattr(info.value, "__notes__", [])


async def test_retry_invalid_json_is_a_decode_error_not_retried(
    fake: FakeDigitalOcean, client: do.Client
) -> None:
    fake.script("projects_list", Fault.invalid_json())
    with pytest.raises(do.DecodeError) as info:
        await client.projects.list()
    assert info.value.attempts == 1
    assert fake.received() == 1


# -- POST: never twice ---------------------------------------------------------------------------

CREATE_FAULTS: list[tuple[str, Fault | ScriptedResponse | int]] = [
    ("500", 500),
    ("502", 502),
    ("503", 503),
    ("504", 504),
    ("html-502", Fault.html_error(502)),
    ("closed-before-response", Fault.close_before_response()),
    ("reset-after-processing", Fault.reset_after_processing()),
    ("truncated-body", Fault.truncated_body()),
    ("hang", Fault.hang()),
    ("invalid-json", Fault.invalid_json()),
    ("skewed-date", Fault.skewed_date(-300.0)),
    (
        "429",
        ScriptedResponse(
            status=429, json={"id": "too_many_requests", "message": "slow down"},
            headers={"Retry-After": "0.01"},
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize("reconcile", [False, True])
@pytest.mark.parametrize(("case", "fault"), CREATE_FAULTS, ids=[c for c, _ in CREATE_FAULTS])
async def test_create_under_every_fault_is_processed_at_most_once(
    fake: FakeDigitalOcean, case: str, fault: Fault | ScriptedResponse | int, reconcile: bool
) -> None:
    fake.script("projects_create", fault)
    policy = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.005)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, retry_policy=policy, timeout=0.5
    ) as api:
        started = time.monotonic()
        try:
            project = await api.projects.create(name="once", purpose="IoT", reconcile=reconcile)
        except do.DigitalOceanError as exc:
            error: do.DigitalOceanError | None = exc
        else:
            error = None
        elapsed = time.monotonic() - started
    processed = fake.processed_writes("projects_create")
    created = [p for p in fake.projects.values() if p["name"] == "once"]
    assert processed <= 1, case
    assert len(created) == processed
    assert elapsed < 0.5 + 0.5
    if error is None:
        assert processed == 1
        assert project.id == created[0]["id"]
        # Only a 429 (nothing processed) may have been sent twice.
        assert fake.received("projects_create") == (2 if case == "429" else 1)
        return
    assert fake.received("projects_create") == 1
    if processed == 0:
        assert isinstance(error, do.AmbiguousWriteError)
        assert "may or may not have been processed" in str(error)
        assert "it was not sent again" in str(error)
        assert error.__cause__ is not None
        if reconcile:
            assert any("no project named 'once' exists" in n for n in error.__notes__)
    else:
        # Processed, yet the answer was lost: without reconcile the error says it may be.
        assert isinstance(error, do.AmbiguousWriteError)
        assert not reconcile


@pytest.mark.parametrize(
    "fault",
    [503, Fault.reset_after_processing(), Fault.truncated_body()],
    ids=["503-not-processed", "reset-processed", "truncated-processed"],
)
async def test_create_ambiguous_error_names_its_cause_and_attempts(
    fake: FakeDigitalOcean, client: do.Client, fault: Fault | int
) -> None:
    fake.script("projects_create", fault)
    with pytest.raises(do.AmbiguousWriteError) as info:
        await client.projects.create(name="amb", purpose="IoT")
    assert info.value.attempts == 1
    assert isinstance(info.value.__cause__, do.ServerError | do.APIConnectionError)
    assert info.value.__cause__.attempts == 1
    assert fake.received("projects_create") == 1


async def test_create_reconcile_returns_the_project_the_lost_answer_created(
    fake: FakeDigitalOcean, client: do.Client
) -> None:
    fake.script("projects_create", Fault.reset_after_processing())
    project = await client.projects.create(
        name="found", purpose="IoT", description="x", environment="Staging", reconcile=True
    )
    assert project.name == "found"
    assert project.id in fake.projects
    assert fake.processed_writes("projects_create") == 1
    assert fake.received("projects_create") == 1
    assert fake.received("projects_list") >= 1


async def test_create_reconcile_refuses_a_same_named_project_that_differs(
    fake: FakeDigitalOcean, client: do.Client
) -> None:
    fake.add_project(name="older", description="made before", environment="Production")
    fake.script("projects_create", 503)
    with pytest.raises(do.AmbiguousWriteError) as info:
        await client.projects.create(name="older", purpose="IoT", description="new", reconcile=True)
    assert any("description differs" in note for note in info.value.__notes__)


async def test_create_reconcile_when_the_lookup_fails_too(
    fake: FakeDigitalOcean, client: do.Client
) -> None:
    fake.script("projects_create", 503)
    fake.script("projects_list", 401)
    with pytest.raises(do.AmbiguousWriteError) as info:
        await client.projects.create(name="x", purpose="IoT", reconcile=True)
    assert any("looking the project up by name failed" in n for n in info.value.__notes__)
    assert isinstance(info.value.__cause__, do.ServerError)


async def test_create_with_resources_reconciled_then_assigned(
    fake: FakeDigitalOcean, client: do.Client
) -> None:
    fake.script("projects_create", Fault.reset_after_processing())
    project = await client.projects.create(
        name="r", purpose="IoT", resources=["do:droplet:5"], reconcile=True
    )
    assert [r["urn"] for r in fake.resources_of(project.id)] == ["do:droplet:5"]


async def test_assign_resources_post_is_not_repeated_after_a_503(
    fake: FakeDigitalOcean, client: do.Client
) -> None:
    pid = fake.add_project(name="p")["id"]
    fake.script("projects_assign_resources", 503)
    with pytest.raises(do.AmbiguousWriteError):
        await client.projects.assign_resources(pid, ["do:droplet:1"])
    assert fake.received("projects_assign_resources") == 1


KEY = aiohttp.client_reqrep.ConnectionKey(
    host="api.example.test", port=443, is_ssl=True, ssl=True,
    proxy=None, proxy_auth=None, proxy_headers_hash=None,
)  # fmt: skip


async def test_create_is_retried_when_the_connection_failed_before_sending(
    mocked: aioresponses,
) -> None:
    url = "https://api.example.test/v2/projects"
    refused = aiohttp.ClientConnectorError(KEY, OSError(111, "Connection refused"))
    mocked.post(url, exception=refused)
    body = {"project": {"id": "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679", "name": "n"}}
    mocked.post(url, status=201, payload=body)
    async with do.Client(
        token=TOKEN, base_url="https://api.example.test", retry_policy=FAST, rate_limiter=False
    ) as api:
        project = await api.projects.create(name="n", purpose="IoT")
    assert project.name == "n"


async def test_tls_failure_is_not_retried(mocked: aioresponses) -> None:
    mocked.get(
        "https://api.example.test/v2/projects/default",
        exception=aiohttp.ClientConnectorSSLError(KEY, OSError(1, "bad handshake")),
    )
    async with do.Client(
        token=TOKEN, base_url="https://api.example.test", retry_policy=FAST, rate_limiter=False
    ) as api:
        with pytest.raises(do.APIConnectionError) as info:
            await api.projects.get_default()
    assert info.value.attempts == 1
    assert isinstance(info.value.__cause__, aiohttp.ClientSSLError)


# -- the retry budget ------------------------------------------------------------------------------


async def test_retry_budget_bounds_attempts_against_an_always_failing_api(
    fake: FakeDigitalOcean,
) -> None:
    """1,000 calls against an API that always answers 503: at most budget/cost retries."""
    policy = do.RetryPolicy(backoff_base=0.0, backoff_cap=0.0, retry_budget=500, retry_cost=5)
    fake.script("projects_get_default", *[503] * 2000)
    async with do.Client(token=TOKEN, base_url=fake.base_url, retry_policy=policy) as api:
        errors = []
        for _ in range(1000):
            with pytest.raises(do.ServerError) as info:
                await api.projects.get_default()
            errors.append(info.value)
    assert fake.received() <= 1000 + 500 // 5
    assert fake.received() >= 1000 + 500 // 5 - 3  # the budget was used, not ignored
    late = errors[-900:]
    assert all(e.attempts == 1 for e in late)  # failing fast...
    assert all(
        any("retry budget is spent" in n for n in e.__notes__) for e in late
    )  # ...and saying so
    fake.clear_script()
    await api_refills(fake, policy)


async def api_refills(fake: FakeDigitalOcean, policy: do.RetryPolicy) -> None:
    """Successes refill the budget: a later failure is retried again."""
    async with do.Client(token=TOKEN, base_url=fake.base_url, retry_policy=policy) as api:
        api._api.budget.tokens = 0
        for _ in range(5):
            await api.projects.get_default()
        fake.script("projects_get_default", 503)
        await api.projects.get_default()
    assert fake.requests[-1].status == 200
    assert fake.requests[-2].status == 503


# -- deadlines ----------------------------------------------------------------------------------


async def test_deadline_retry_after_an_hour_raises_at_once(fake: FakeDigitalOcean) -> None:
    fake.script(
        "projects_get_default",
        ScriptedResponse(status=429, json={"id": "too_many_requests", "message": "m"},
                         headers={"Retry-After": "3600"}),
    )  # fmt: skip
    async with do.Client(token=TOKEN, base_url=fake.base_url, timeout=2.0) as api:
        started = time.monotonic()
        with pytest.raises(do.RateLimitError) as info:
            await api.projects.get_default()
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after == 3600
    assert info.value.attempts == 1
    assert any("ceiling" in note for note in info.value.__notes__)


async def test_deadline_retry_after_past_the_timeout_raises_at_once(fake: FakeDigitalOcean) -> None:
    fake.script(
        "projects_get_default",
        ScriptedResponse(status=429, json={"id": "too_many_requests", "message": "m"},
                         headers={"Retry-After": "30"}),
    )  # fmt: skip
    async with do.Client(token=TOKEN, base_url=fake.base_url, timeout=1.0) as api:
        started = time.monotonic()
        with pytest.raises(do.RateLimitError) as info:
            await api.projects.get_default()
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after == 30
    assert any("timeout would pass" in note for note in info.value.__notes__)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_deadline_server_that_never_answers(fake: FakeDigitalOcean, method: str) -> None:
    operation = "projects_get_default" if method == "GET" else "projects_create"
    fake.script(operation, *[Fault.hang()] * 5)
    async with do.Client(token=TOKEN, base_url=fake.base_url, timeout=0.3) as api:
        started = time.monotonic()
        with pytest.raises(do.DigitalOceanError) as info:
            if method == "GET":
                await api.projects.get_default()
            else:
                await api.projects.create(name="h", purpose="IoT")
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.3 + 0.3
    if method == "GET":
        assert type(info.value) is do.APITimeoutError
    else:
        assert isinstance(info.value, do.AmbiguousWriteError)
        assert isinstance(info.value.__cause__, do.APITimeoutError)
    assert "0.3 s" in str(info.value)
    assert info.value.attempts == 1


async def test_deadline_attempt_timeout_retries_a_hung_get(fake: FakeDigitalOcean) -> None:
    fake.script("projects_get_default", Fault.hang(), Fault.hang())
    policy = do.RetryPolicy(backoff_base=0.001)
    async with do.Client(
        token=TOKEN,
        base_url=fake.base_url,
        timeout=do.Timeout(2.0, attempt=0.1),
        retry_policy=policy,
    ) as api:
        project = await api.projects.get_default()
    assert project.is_default
    assert fake.received() == 3


async def test_deadline_attempt_timeout_on_a_post_is_ambiguous(fake: FakeDigitalOcean) -> None:
    fake.script("projects_create", Fault.hang())
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, timeout=do.Timeout(2.0, attempt=0.1)
    ) as api:
        with pytest.raises(do.AmbiguousWriteError) as info:
            await api.projects.create(name="slow", purpose="IoT")
    assert isinstance(info.value.__cause__, do.APITimeoutError)
    assert "no answer within 0.1 s" in str(info.value.__cause__)


async def test_deadline_backoff_that_would_outlast_the_timeout_is_not_slept(
    fake: FakeDigitalOcean,
) -> None:
    fake.script("projects_get_default", 503)
    policy = do.RetryPolicy(backoff_base=100.0, backoff_cap=100.0)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, timeout=0.5, retry_policy=policy
    ) as api:
        started = time.monotonic()
        with pytest.raises(do.ServerError) as info:
            # uniform(0, 100) is below 0.5 s one time in 200: retry until it is not
            for _ in range(3):
                fake.script("projects_get_default", 503)
                await api.projects.get_default()
    assert time.monotonic() - started < 1.5
    assert any("timeout would pass" in note for note in info.value.__notes__)


# -- edges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ClientConnectorSSLError(KEY, OSError(1, "handshake")), None),
        (aiohttp.ClientConnectorCertificateError(KEY, ValueError("bad cert")), None),
        (aiohttp.ClientConnectorError(KEY, OSError(111, "refused")), "not_sent"),
        (aiohttp.ConnectionTimeoutError(), "not_sent"),
        (aiohttp.SocketTimeoutError(), "timeout"),
        (aiohttp.ServerDisconnectedError(), "lost"),
        (aiohttp.ClientOSError(104, "reset"), "lost"),
        (aiohttp.ClientPayloadError("truncated"), "lost"),
    ],
)
def test_transport_failures_are_classified(
    error: aiohttp.ClientError, expected: str | None
) -> None:
    from aiodo_projects._transport import classify as _classify  # noqa: PLC0415

    failure = _classify(error)
    assert (failure.value if failure else None) == expected


async def test_socket_timeout_of_an_attempt_is_retried_as_a_timeout(mocked: aioresponses) -> None:
    url = "https://api.example.test/v2/projects/default"
    mocked.get(url, exception=aiohttp.SocketTimeoutError("read timed out"))
    body = {"project": {"id": "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679", "name": "default"}}
    mocked.get(url, payload=body)
    retries: list[do.RetryEvent] = []
    async with do.Client(
        token=TOKEN,
        base_url="https://api.example.test",
        retry_policy=FAST,
        rate_limiter=False,
        on_retry=retries.append,
    ) as api:
        await api.projects.get_default()
    assert [e.reason for e in retries] == ["APITimeoutError"]


async def test_rate_limited_without_retry_after_backs_off(fake: FakeDigitalOcean) -> None:
    fake.script(
        "projects_get_default",
        ScriptedResponse(status=429, json={"id": "too_many_requests", "message": "m"}),
    )
    retries: list[do.RetryEvent] = []
    policy = do.RetryPolicy(backoff_base=0.01)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, retry_policy=policy, on_retry=retries.append
    ) as api:
        await api.projects.get_default()
    assert [(e.reason, e.delay) for e in retries] == [("429", 0.01)]


async def test_rate_limited_with_no_budget_left_waits_for_ratelimit_reset(
    fake: FakeDigitalOcean,
) -> None:
    exhausted = {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(time.time()) + 3600),
    }
    fake.script(
        "projects_get_default",
        ScriptedResponse(status=429, json={"id": "too_many_requests", "message": "m"},
                         headers=exhausted),
    )  # fmt: skip
    async with do.Client(token=TOKEN, base_url=fake.base_url) as api:
        with pytest.raises(do.RateLimitError) as info:
            await api.projects.get_default()
    assert info.value.retry_after == pytest.approx(3600, abs=2)


async def test_call_deadline_inside_a_longer_attempt_timeout_is_the_calls(
    fake: FakeDigitalOcean,
) -> None:
    fake.script("projects_get_default", Fault.hang())
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, timeout=do.Timeout(0.2, attempt=5.0)
    ) as api:
        with pytest.raises(do.APITimeoutError, match=r"did not complete within 0\.2 s"):
            await api.projects.get_default()


async def test_a_timeout_error_that_is_not_the_deadline_passes_through(
    fake: FakeDigitalOcean,
) -> None:
    def meter(_: do.RetryEvent) -> None:
        raise TimeoutError("the metering backend timed out")

    fake.script("projects_get_default", 503)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, retry_policy=FAST, on_retry=meter
    ) as api:
        with pytest.raises(TimeoutError, match="metering backend"):
            await api.projects.get_default()


# -- where a call's time went, and what it sent ------------------------------------------------


async def test_timeout_spent_in_the_limiter_says_so_and_counts_no_attempt(
    fake: FakeDigitalOcean,
) -> None:
    limiter = do.TokenBucketLimiter(limit=1, window=60.0)  # one send a minute
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, rate_limiter=limiter, timeout=0.3
    ) as api:
        await api.projects.get_default()
        with pytest.raises(do.APITimeoutError) as info:
            await api.projects.get_default()
    assert "did not complete within 0.3 s" in str(info.value)
    assert "waiting for the client-side rate limiter, nothing sent" in str(info.value)
    assert info.value.attempts == 0
    assert fake.received() == 1


async def test_timeout_in_the_limiter_after_a_retry_counts_the_attempts_sent(
    fake: FakeDigitalOcean,
) -> None:
    limiter = do.TokenBucketLimiter(limit=1, window=60.0)
    fake.script("projects_get_default", 503)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, rate_limiter=limiter, timeout=0.3, retry_policy=FAST
    ) as api:
        with pytest.raises(do.APITimeoutError) as info:
            await api.projects.get_default()
    assert "waiting for the client-side rate limiter, after 1 attempt sent" in str(info.value)
    assert info.value.attempts == 1


async def test_timeout_waiting_for_an_answer_names_the_attempt(fake: FakeDigitalOcean) -> None:
    fake.script("projects_get_default", Fault.hang())
    async with do.Client(token=TOKEN, base_url=fake.base_url, timeout=0.2) as api:
        with pytest.raises(do.APITimeoutError, match=r"waiting for the answer to attempt 1\)"):
            await api.projects.get_default()


async def test_spent_hourly_budget_is_not_reported_as_a_429(fake: FakeDigitalOcean) -> None:
    exhausted = {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(time.time()) + 3530),
    }
    fake.script("projects_get_default", ScriptedResponse(200, json={}, headers=exhausted))
    limiter = do.TokenBucketLimiter()
    async with do.Client(token=TOKEN, base_url=fake.base_url, rate_limiter=limiter) as api:
        with pytest.raises(do.DecodeError):  # the scripted answer spends the budget
            await api.projects.get_default()
        with pytest.raises(do.RateLimitError) as info:
            await api.projects.get_default()
    error = info.value
    assert fake.received() == 1  # nothing sent for the second call
    assert error.status == do.RateLimitError.NOT_SENT == 0
    assert error.error_id == "hourly_budget_spent"
    assert error.attempts == 0
    assert "429" not in str(error)
    assert "e+" not in str(error)
    assert "hourly request budget learned from earlier answers is spent" in str(error)
    assert re.search(r"resets at \d\d:\d\d:\d\d UTC, in 58 min \d\d? s", str(error)), str(error)
    assert error.retry_after == pytest.approx(3530, abs=3)


async def test_429_pause_longer_than_the_ceiling_is_reported_as_a_pause(
    fake: FakeDigitalOcean,
) -> None:
    limiter = do.TokenBucketLimiter()
    async with do.Client(token=TOKEN, base_url=fake.base_url, rate_limiter=limiter) as api:
        await api.projects.get_default()
        limiter.pause(7500.0)  # what an earlier 429 on this token asked for
        with pytest.raises(do.RateLimitError) as info:
            await api.projects.get_default()
    assert info.value.error_id == "rate_limit_paused"
    assert info.value.status == 0
    assert "an earlier 429 paused every call on this token for 2 h 5 min more" in str(info.value)
    assert str(info.value).startswith("rate_limit_paused: GET /v2/projects/default was not sent")


async def test_custom_limiter_refusal_is_worded_for_any_limiter(fake: FakeDigitalOcean) -> None:
    class Refusing:
        async def acquire(self, max_wait: float) -> None:  # noqa: ARG002 - refuses any wait
            raise do.WaitTooLong(90.0)

        def release(self, **_: object) -> None:  # pragma: no cover - never acquired
            pass

        def pause(self, seconds: float) -> None:  # pragma: no cover - never called
            pass

    async with do.Client(token=TOKEN, base_url=fake.base_url, rate_limiter=Refusing()) as api:
        with pytest.raises(do.RateLimitError) as info:
            await api.projects.get_default()
    assert info.value.error_id == "rate_limit_wait"
    assert "the client-side rate limiter would hold it for 1 min 30 s" in str(info.value)
    assert fake.received() == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 s"),
        (0.04, "0.04 s"),
        (2.25, "2.2 s"),
        (42.4, "42 s"),
        (59.6, "1 min"),
        (61.0, "1 min 1 s"),
        (3530.0, "58 min 50 s"),
        (3600.0, "1 h"),
        (7500.0, "2 h 5 min"),
        (float("inf"), "inf s"),
    ],
)
def test_human_duration_reads_at_a_glance(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


async def test_timeout_between_attempts_says_so(fake: FakeDigitalOcean) -> None:
    def slow_meter(_: do.RetryEvent) -> None:
        time.sleep(0.25)  # a blocking metering backend eats the rest of the call's timeout

    fake.script("projects_get_default", 503)
    async with do.Client(
        token=TOKEN, base_url=fake.base_url, timeout=0.2, retry_policy=FAST, on_retry=slow_meter
    ) as api:
        with pytest.raises(do.APITimeoutError) as info:
            await api.projects.get_default()
    assert "(between attempts, after 1 attempt)" in str(info.value)
    assert info.value.attempts == 1
