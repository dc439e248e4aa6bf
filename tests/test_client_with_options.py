"""client.with_options: a per-call override sharing the session, limiter and retry budget."""

from __future__ import annotations

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, Fault, ScriptedResponse
from tests.conftest import TOKEN


async def test_with_options_a_short_budget_while_the_parent_keeps_its_own(
    fake: FakeDigitalOcean,
) -> None:
    async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
        quick = client.with_options(timeout=0.2)
        assert quick.timeout == do.Timeout(total=0.2)
        assert client.timeout == do.Timeout(total=30.0)
        fake.script("projects_get_default", Fault.hang())
        with pytest.raises(do.APITimeoutError, match=r"did not complete within 0\.2 s"):
            await quick.projects.get_default()
        project = await client.projects.get_default()  # the parent's 30 s: answered
    assert project.is_default


async def test_with_options_max_retries_and_policy_apply_to_the_derived_client_only(
    fake: FakeDigitalOcean,
) -> None:
    fast = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.001)
    async with do.Client(token=TOKEN, base_url=fake.base_url, retry_policy=fast) as client:
        once = client.with_options(max_retries=0)
        fake.script("projects_get_default", 503, 503)
        with pytest.raises(do.ServerError) as info:
            await once.projects.get_default()
        assert info.value.attempts == 1
        assert (await client.projects.get_default()).is_default  # retried past the 503
        patient = once.with_options(retry_policy=do.RetryPolicy(backoff_base=0.002))
        assert patient._api.policy.backoff_base == 0.002
        assert patient._api.max_retries == 0


async def test_with_options_headers_reach_the_server_and_add_up(fake: FakeDigitalOcean) -> None:
    async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
        traced = client.with_options(headers={"X-Request-Id": "req-1"})
        tagged = traced.with_options(headers={"X-Tenant": "t-9"})
        await tagged.projects.get_default()
        await client.projects.get_default()
    first, second = fake.requests
    assert first.headers["X-Request-Id"] == "req-1"
    assert first.headers["X-Tenant"] == "t-9"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "X-Request-Id" not in second.headers


async def test_a_borrowed_session_gets_the_clients_headers_with_every_request(
    fake: FakeDigitalOcean,
) -> None:
    # A session of the caller's keeps its own defaults; the client's win where they overlap.
    defaults = {"Authorization": "Bearer not-ours", "X-App": "shop"}
    async with aiohttp.ClientSession(headers=defaults) as session:
        async with do.Client(token=TOKEN, base_url=fake.base_url, session=session) as client:
            await client.projects.get_default()
            await client.with_options(headers={"X-Request-Id": "req-2"}).projects.get_default()
        assert session.headers["Authorization"] == "Bearer not-ours"  # left as it was
    for request in fake.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["User-Agent"] == f"aiodo-projects/{do.__version__}"
        assert request.headers["X-App"] == "shop"
    assert [request.headers.get("X-Request-Id") for request in fake.requests] == [None, "req-2"]


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"Authorization": "Bearer other"}, "Authorization is set by the client"),
        ({"content-type": "text/plain"}, "content-type is set by the client"),
        ({"Accept": "*/*"}, "Accept is set by the client"),
        ({"USER-AGENT": "me"}, "USER-AGENT is set by the client"),
        ({"X-Id": "a\r\nX-Injected: 1"}, "without CR, LF"),
        ({"X-Id": "a\nb"}, "without CR, LF"),
        ({"X Id": "a"}, "not a valid header name"),
        ({"X-Id:": "a"}, "not a valid header name"),
        ({"": "a"}, "not a valid header name"),
        ({"X-Id": 5}, "must be a string"),
        ({5: "a"}, "not a valid header name"),
        (["X-Id", "a"], "headers must be a mapping"),
    ],
)
def test_with_options_bad_headers_are_a_validation_error(headers: object, match: str) -> None:
    client = do.Client(token=TOKEN, base_url="http://127.0.0.1:9")
    with pytest.raises(do.ValidationError, match=match) as info:
        client.with_options(headers=headers)  # type: ignore[arg-type]
    assert "X-Injected" not in str(info.value)  # a value is never echoed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": "2"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"retry_policy": {"backoff_base": 1}}, "retry_policy"),
    ],
)
def test_with_options_bad_options_are_a_validation_error(
    kwargs: dict[str, object], match: str
) -> None:
    client = do.Client(token=TOKEN, base_url="http://127.0.0.1:9")
    with pytest.raises(do.ValidationError, match=match):
        client.with_options(**kwargs)  # type: ignore[arg-type]


def test_with_options_shares_the_limiter_and_the_retry_budget() -> None:
    client = do.Client(token="share-token", rate_limiter=do.RateLimits(burst_limit=5))
    derived = client.with_options(timeout=2.0).with_options(max_retries=1)
    assert derived.rate_limiter is client.rate_limiter
    assert derived._api.budget is client._api.budget
    assert derived.base_url == client.base_url


async def test_with_options_closing_the_derived_client_leaves_the_parent_open(
    fake: FakeDigitalOcean,
) -> None:
    async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
        async with client.with_options(timeout=5.0) as derived:
            await derived.projects.get_default()
            session = client._owned
        assert derived.is_closed
        assert session is not None
        assert not session.closed
        with pytest.raises(do.ClientClosedError, match="this Client is closed"):
            await derived.projects.get_default()
        assert (await client.projects.get_default()).is_default
    assert session.closed


async def test_with_options_closing_the_parent_closes_every_derived_client(
    fake: FakeDigitalOcean,
) -> None:
    client = do.Client(token=TOKEN, base_url=fake.base_url)
    derived = client.with_options(timeout=5.0)
    await derived.projects.get_default()
    await client.aclose()
    assert derived.is_closed
    assert "closed=True" in repr(derived)
    with pytest.raises(do.ClientClosedError, match="derived from"):
        await derived.projects.get_default()


async def test_with_options_never_closes_a_borrowed_session(fake: FakeDigitalOcean) -> None:
    async with aiohttp.ClientSession() as session:
        client = do.Client(token=TOKEN, base_url=fake.base_url, session=session)
        derived = client.with_options(headers={"X-Request-Id": "r"})
        await derived.projects.get_default()
        await derived.aclose()
        await client.aclose()
        assert not session.closed


def test_client_repr_is_readable_and_never_shows_the_token() -> None:
    client = do.Client(token=TOKEN, rate_limiter=False)
    derived = client.with_options(timeout=2.0, headers={"X-Request-Id": "r"})
    assert repr(client) == (
        "Client(base_url='https://api.digitalocean.com',"
        " timeout=Timeout(total=30.0, attempt=None, rate_limit_wait=60.0), max_retries=3,"
        " rate_limiter=False, closed=False)"
    )
    assert "Timeout(total=2.0," in repr(derived)
    assert repr(client.projects) == "Projects(base_url='https://api.digitalocean.com')"
    for text in (repr(client), repr(derived), repr(derived.projects), repr(derived._api)):
        assert TOKEN not in text


async def test_decode_error_passes_the_sessions_error_path_tagged_and_redacted(
    fake: FakeDigitalOcean,
) -> None:
    # A 2xx body of the wrong shape that echoes the token: the DecodeError is tagged with the
    # call's attempts and rate limit, and the token is masked, like every other error.
    body = b'{"project": {"id": "' + TOKEN.encode() + b'", "name": 5}}'
    fake.script("projects_get_default", ScriptedResponse(200, body=body))
    async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
        with pytest.raises(do.DecodeError) as info:
            await client.projects.get_default()
    error = info.value
    assert error.attempts == 1
    assert error.rate_limit is not None
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.args)
    assert TOKEN not in error.snippet
    assert "***" in str(error)
