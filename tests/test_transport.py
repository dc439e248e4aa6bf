"""Transport-level cases the fake cannot express, served by aioresponses."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import aiodo_projects as do
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from aioresponses import aioresponses

BASE = "https://api.example.test"
DEFAULT = f"{BASE}/v2/projects/default"
LIST = re.compile(rf"^{re.escape(BASE)}/v2/projects\?.*$")
PROJECT = {"id": "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679", "name": "web"}
RATE = {"ratelimit-limit": "5000", "ratelimit-remaining": "4999", "ratelimit-reset": "1444931833"}


@pytest.fixture
async def client() -> Any:
    fast = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.002)
    async with do.Client(token=TOKEN, base_url=BASE, retry_policy=fast) as api:
        yield api


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("invalid json", {"body": b'{"project": {', "content_type": "application/json"}),
    (
        "html from a proxy",
        {"body": b"<html><h1>502 Bad Gateway</h1></html>", "content_type": "text/html"},
    ),
    ("empty 200", {"body": b"", "content_type": "application/json"}),
    ("whitespace 200", {"body": b"  \n", "content_type": "application/json"}),
    ("json array", {"body": b"[1, 2]", "content_type": "application/json"}),
    ("json string", {"body": b'"project"', "content_type": "application/json"}),
    ("wrong key", {"body": b'{"projects": []}', "content_type": "application/json"}),
    (
        "wrong types",
        {"body": b'{"project": {"id": 1, "name": []}}', "content_type": "application/json"},
    ),
    ("no content type", {"body": json.dumps({"project": PROJECT}).encode(), "content_type": ""}),
    ("not utf-8", {"body": b'{"project": "\xff\xfe"}', "content_type": "application/json"}),
    (
        "deep nesting",
        {
            "body": b'{"project": ' + b"[" * 3000 + b"]" * 3000 + b"}",
            "content_type": "application/json",
        },
    ),
]


@pytest.mark.parametrize(("case", "reply"), MALFORMED, ids=[c for c, _ in MALFORMED])
async def test_malformed_success_body_is_a_decode_error(
    client: do.Client, mocked: aioresponses, case: str, reply: dict[str, Any]
) -> None:
    mocked.get(DEFAULT, status=200, headers=RATE, **reply)
    with pytest.raises(do.DecodeError) as info:
        await client.projects.get_default()
    assert case
    assert len(str(info.value)) < 500
    assert TOKEN not in str(info.value)


async def test_html_body_shows_a_snippet(client: do.Client, mocked: aioresponses) -> None:
    mocked.get(
        DEFAULT, status=200, body=b"<html><body>Bad Gateway</body></html>", content_type="text/html"
    )
    with pytest.raises(do.DecodeError, match="Bad Gateway"):
        await client.projects.get_default()


async def test_body_over_the_cap_is_refused(mocked: aioresponses) -> None:
    body = json.dumps({"project": {**PROJECT, "description": "x" * 5000}}).encode()
    mocked.get(DEFAULT, status=200, body=body, content_type="application/json")
    async with do.Client(token=TOKEN, base_url=BASE, max_body_size=1000) as small:
        with pytest.raises(do.DecodeError, match="cap"):
            await small.projects.get_default()


async def test_error_status_with_html_body_keeps_status_and_snippet(
    client: do.Client, mocked: aioresponses
) -> None:
    mocked.get(
        DEFAULT,
        status=403,
        body=b"<html>Forbidden by proxy</html>",
        content_type="text/html",
        headers={"x-request-id": "rid-1", **RATE},
    )
    with pytest.raises(do.PermissionDeniedError) as info:
        await client.projects.get_default()
    error = info.value
    assert error.status == 403
    assert error.error_id == "http_403"
    assert "Forbidden by proxy" in error.message
    assert error.request_id == "rid-1"
    assert error.rate_limit == do.RateLimit.from_headers(RATE)


async def test_error_body_request_id_wins_over_header(
    client: do.Client, mocked: aioresponses
) -> None:
    body = {"id": "not_found", "message": "nope", "request_id": "from-body"}
    mocked.get(DEFAULT, status=404, payload=body, headers={"x-request-id": "from-header"})
    with pytest.raises(do.NotFoundError) as info:
        await client.projects.get_default()
    assert info.value.request_id == "from-body"
    assert str(info.value) == "404 not_found: nope (request_id=from-body)"


async def test_error_with_empty_body(mocked: aioresponses) -> None:
    mocked.get(DEFAULT, status=500, body=b"")
    with pytest.raises(do.ServerError) as info:  # one attempt: a 500 is otherwise retried
        async with do.Client(token=TOKEN, base_url=BASE, max_retries=0) as client:
            await client.projects.get_default()
    assert info.value.error_id == "http_500"
    assert info.value.message == "(no message)"


async def test_unmapped_status_is_api_status_error(client: do.Client, mocked: aioresponses) -> None:
    mocked.delete(
        f"{BASE}/v2/projects/{PROJECT['id']}", status=415, payload={"id": "x", "message": "m"}
    )
    with pytest.raises(do.APIStatusError) as info:
        await client.projects.delete(PROJECT["id"])
    assert type(info.value) is do.APIStatusError
    assert info.value.status == 415


async def test_redirect_is_not_followed(client: do.Client, mocked: aioresponses) -> None:
    mocked.get(DEFAULT, status=302, headers={"Location": "https://evil.example/steal"})
    with pytest.raises(do.APIStatusError) as info:
        await client.projects.get_default()
    assert info.value.status == 302


async def test_rate_limit_429_carries_retry_after(client: do.Client, mocked: aioresponses) -> None:
    mocked.get(
        DEFAULT,
        status=429,
        payload={"id": "too_many_requests", "message": "API rate limit exceeded."},
        headers={"Retry-After": "3600", **RATE},
        repeat=True,
    )
    with pytest.raises(do.RateLimitError) as info:
        await client.projects.get_default()
    assert info.value.retry_after == 3600


@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.ClientPayloadError("truncated"),
    ],
)
async def test_transport_errors_are_connection_errors(
    client: do.Client, mocked: aioresponses, error: Exception
) -> None:
    mocked.get(DEFAULT, exception=error, repeat=True)
    with pytest.raises(do.APIConnectionError) as info:
        await client.projects.get_default()
    assert info.value.__cause__ is error


async def test_delete_accepts_empty_204(client: do.Client, mocked: aioresponses) -> None:
    mocked.delete(f"{BASE}/v2/projects/{PROJECT['id']}", status=204, body=b"")
    assert await client.projects.delete(PROJECT["id"]) is None  # type: ignore[func-returns-value]


async def test_list_decodes_through_the_transport(client: do.Client, mocked: aioresponses) -> None:
    body = {"projects": [PROJECT], "links": {}, "meta": {"total": 1}}
    mocked.get(LIST, status=200, payload=body, headers=RATE)
    page = await client.projects.list()
    assert page.items[0].name == "web"
    assert client.rate_limit == do.RateLimit.from_headers(RATE)
