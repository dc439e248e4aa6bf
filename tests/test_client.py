"""Client construction, the session it owns or borrows, and keeping the token secret."""

from __future__ import annotations

import logging
import ssl
from typing import TYPE_CHECKING

import aiohttp
import pytest
from yarl import URL

import aiodo_projects as do
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from aiodo_projects.testing import FakeDigitalOcean


def test_client_without_token_explains_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with pytest.raises(do.ValidationError, match="DIGITALOCEAN_TOKEN"):
        do.Client()
    with pytest.raises(do.ValidationError):
        do.Client(token="  ")


async def test_client_reads_token_from_environment(
    monkeypatch: pytest.MonkeyPatch, fake: FakeDigitalOcean
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    async with do.Client(base_url=fake.base_url) as client:
        assert (await client.projects.get_default()).is_default


def test_client_rejects_token_with_control_characters() -> None:
    with pytest.raises(do.ValidationError, match="control"):
        do.Client(token="abc\r\nX-Evil: 1")


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.digitalocean.com",
        "http://10.0.0.1:8080",
        "ftp://127.0.0.1",
        "api.digitalocean.com",
        "https://api.digitalocean.com?x=1",
        "https://api.digitalocean.com#f",
        # A path prefix held for the first page only (page links name paths from the origin).
        "https://proxy.internal/do/",
        "https://api.digitalocean.com/v2",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "https://api.digitalocean.com\r\nX-Evil: 1",
        "https://api.digitalocean.com\n",
        "https://api digitalocean.com",
        "https://user:pass@api.digitalocean.com",
        "https://user@api.digitalocean.com",
        "https://",
        "https:///v2",
        "http://[::1",
        URL("ftp://127.0.0.1"),
        123,
        b"https://api.digitalocean.com",
        None,
    ],
)
def test_client_refuses_unsafe_base_urls(base_url: object) -> None:
    with pytest.raises(do.ValidationError, match="base_url"):
        do.Client(token=TOKEN, base_url=base_url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.digitalocean.com",
        "https://api.digitalocean.com/",
        "http://127.0.0.1:8080",
        "http://127.5.6.7",
        "http://localhost:1",
        "http://[::1]:9000",
    ],
)
def test_client_accepts_https_and_loopback_http(base_url: str) -> None:
    assert str(do.Client(token=TOKEN, base_url=base_url).base_url).startswith(base_url.rstrip("/"))


async def test_client_never_shows_the_token(
    fake: FakeDigitalOcean, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiodo_projects")
    client = do.Client(token=TOKEN, base_url=fake.base_url)
    texts = [repr(client), str(client), repr(client.projects), repr(client._api)]
    async with client:
        await client.projects.get_default()
        with pytest.raises(do.NotFoundError) as info:
            await client.projects.get("00000000-0000-4000-8000-000000000000")
        texts += [str(info.value), repr(info.value), repr(info.value.args)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records
    assert not any(TOKEN in text for text in texts)
    assert "closed" in repr(client)


async def test_client_creates_its_session_lazily_and_closes_it(fake: FakeDigitalOcean) -> None:
    client = do.Client(token=TOKEN, base_url=fake.base_url)
    assert client._owned is None
    await client.projects.get_default()
    session = client._owned
    assert session is not None
    assert not session.closed
    await client.aclose()
    assert session.closed
    assert client.is_closed
    with pytest.raises(do.ClientClosedError, match="closed"):
        await client.projects.get_default()
    await client.aclose()


async def test_client_never_closes_a_borrowed_session(fake: FakeDigitalOcean) -> None:
    async with aiohttp.ClientSession() as session:
        async with do.Client(token=TOKEN, base_url=fake.base_url, session=session) as client:
            await client.projects.get_default()
            assert client._owned is None
        assert not session.closed
        async with session.get(f"{fake.base_url}/v2/projects/default") as response:
            assert response.status == 401


async def test_client_uses_a_custom_ssl_context_without_breaking_http(
    fake: FakeDigitalOcean,
) -> None:
    context = ssl.create_default_context()
    async with do.Client(token=TOKEN, base_url=fake.base_url, ssl=context) as client:
        assert client._api._ssl is context
        assert (await client.projects.get_default()).is_default


async def test_client_timeout_bounds_the_call(fake: FakeDigitalOcean) -> None:
    fake.latency = 2.0
    async with do.Client(token=TOKEN, base_url=fake.base_url, timeout=0.2) as client:
        with pytest.raises(do.APITimeoutError) as info:
            await client.projects.get_default()
    assert isinstance(info.value.__cause__, TimeoutError)
    assert info.value.attempts >= 1


async def test_connection_refused_is_api_connection_error() -> None:
    fast = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.002)
    async with do.Client(token=TOKEN, base_url="http://127.0.0.1:9", retry_policy=fast) as client:
        with pytest.raises(do.APIConnectionError) as info:
            await client.projects.get_default()
    assert isinstance(info.value.__cause__, aiohttp.ClientError)
    assert TOKEN not in str(info.value)


async def test_body_with_content_length_over_the_cap_is_refused(fake: FakeDigitalOcean) -> None:
    from aiodo_projects.testing import ScriptedResponse  # noqa: PLC0415

    fake.script("projects_get_default", ScriptedResponse(200, body=b" " * 5000))
    async with do.Client(token=TOKEN, base_url=fake.base_url, max_body_size=1000) as client:
        with pytest.raises(do.DecodeError, match="5000 bytes"):
            await client.projects.get_default()
        assert (await client.projects.get_default()).is_default
