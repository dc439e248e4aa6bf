from __future__ import annotations

import asyncio
import json
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import aiohttp
import pytest

from aiodo_projects.testing import FakeDigitalOcean, Fault, ScriptedResponse
from tests.fake_http import TOKEN, arrivals, send

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CREATE = {"name": "web", "purpose": "IoT"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    async with FakeDigitalOcean() as running:
        yield running


async def test_fake_script_plays_statuses_then_resumes(fake: FakeDigitalOcean) -> None:
    fake.script("projects_create", 503, 503, 201)
    statuses = [(await send(fake, "POST", "/v2/projects", json=CREATE)).status for _ in range(3)]
    assert statuses == [503, 503, 201]
    assert fake.received("projects_create") == 3
    assert fake.processed_writes("projects_create") == 1
    assert (await send(fake, "POST", "/v2/projects", json=CREATE)).status == 409  # normal again


@pytest.mark.parametrize(
    ("status", "error_id"),
    [
        (400, "bad_request"),
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not_found"),
        (409, "conflict"),
        (412, "precondition_failed"),
        (418, "bad_request"),
        (422, "unprocessable_entity"),
        (500, "server_error"),
        (502, "bad_gateway"),
        (503, "service_unavailable"),
        (504, "gateway_timeout"),
        (599, "server_error"),
    ],
)
async def test_fake_scripted_status_has_a_digitalocean_body(
    fake: FakeDigitalOcean, status: int, error_id: str
) -> None:
    fake.script("projects_list", status)
    answer = await send(fake, "GET", "/v2/projects")
    assert answer.status == status
    assert answer.json["id"] == error_id
    assert answer.json["message"]
    assert answer.json["request_id"] == answer.headers["x-request-id"]
    assert "ratelimit-remaining" in answer.headers


async def test_fake_scripted_429_says_when_to_retry(fake: FakeDigitalOcean) -> None:
    fake.script("projects_get", 429)
    project = fake.add_project()
    answer = await send(fake, "GET", f"/v2/projects/{project['id']}")
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "1"


async def test_fake_scripted_response_answers_exactly(fake: FakeDigitalOcean) -> None:
    body = {"projects": [], "links": {"pages": {"next": "https://evil.example/v2/projects"}}}
    fake.script(
        "projects_list",
        ScriptedResponse(200, json=body, headers={"x-request-id": "fixed"}),
        ScriptedResponse(200, body="plain", content_type="text/plain"),
        ScriptedResponse(200, body=b"{}"),
        ScriptedResponse(200),
    )
    first = await send(fake, "GET", "/v2/projects")
    assert first.json == body
    assert first.headers["x-request-id"] == "fixed"
    second = await send(fake, "GET", "/v2/projects")
    assert (second.raw, second.headers["Content-Type"]) == (b"plain", "text/plain")
    third = await send(fake, "GET", "/v2/projects")
    assert third.headers["Content-Type"] == "application/json; charset=utf-8"
    empty = await send(fake, "GET", "/v2/projects")
    assert (empty.status, empty.raw) == (200, b"")
    assert "Content-Type" not in empty.headers


async def test_fake_scripts_are_per_operation_and_clearable(fake: FakeDigitalOcean) -> None:
    fake.script("projects_create", 500, 500)
    fake.script("projects_list", 502)
    fake.clear_script("projects_create")
    assert (await send(fake, "POST", "/v2/projects", json=CREATE)).status == 201
    fake.clear_script()
    assert (await send(fake, "GET", "/v2/projects")).status == 200


async def test_fake_scripts_are_checked(fake: FakeDigitalOcean) -> None:
    with pytest.raises(ValueError, match="operationId"):
        fake.script("create_project", 500)
    with pytest.raises(ValueError, match="HTTP status"):
        fake.script("projects_list", 700)
    with pytest.raises(TypeError):
        fake.script("projects_list", True)  # noqa: FBT003
    with pytest.raises(TypeError):
        fake.script("projects_list", "500")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        Fault.latency(-1)


async def test_fake_scripts_wait_behind_auth(fake: FakeDigitalOcean) -> None:
    fake.script("projects_list", 500)
    assert (await send(fake, "GET", "/v2/projects", token="wrong")).status == 401
    assert (await send(fake, "GET", "/v2/projects")).status == 500


async def test_fake_latency_delays_answers(fake: FakeDigitalOcean) -> None:
    fake.script("projects_list", Fault.latency(0.2))
    start = time.perf_counter()
    assert (await send(fake, "GET", "/v2/projects")).status == 200
    assert time.perf_counter() - start >= 0.2
    fake.latency = 0.1
    assert fake.latency == 0.1
    start = time.perf_counter()
    assert (await send(fake, "GET", "/v2/projects/default")).status == 200
    assert time.perf_counter() - start >= 0.1
    with pytest.raises(ValueError, match="negative"):
        fake.latency = -1.0


async def test_fake_close_before_response_does_not_process(fake: FakeDigitalOcean) -> None:
    fake.script("projects_create", Fault.close_before_response())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(fake, "POST", "/v2/projects", json=CREATE)
    assert fake.processed_writes() == 0
    assert len(fake.projects) == 1
    assert fake.requests[-1].status is None
    assert fake.requests[-1].json == CREATE


async def test_fake_reset_after_processing_did_the_write(fake: FakeDigitalOcean) -> None:
    fake.script("projects_create", Fault.reset_after_processing())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(fake, "POST", "/v2/projects", json=CREATE)
    assert fake.processed_writes("projects_create") == 1
    assert [p["name"] for p in fake.projects.values()] == ["Default", "web"]
    assert fake.requests[-1].status is None


async def test_fake_truncated_body(fake: FakeDigitalOcean) -> None:
    fake.seed(3)
    fake.script("projects_list", Fault.truncated_body())
    with pytest.raises(aiohttp.ClientPayloadError):
        await send(fake, "GET", "/v2/projects")
    fake.script("projects_delete", Fault.truncated_body())
    project = fake.add_project(name="gone")
    answer = await send(fake, "DELETE", f"/v2/projects/{project['id']}")
    assert answer.status == 204  # no body to cut short: HTTP clients ignore its length
    assert project["id"] not in fake.projects


async def test_fake_hang_until_the_client_gives_up(fake: FakeDigitalOcean) -> None:
    fake.script("projects_get_default", Fault.hang())
    timeout = aiohttp.ClientTimeout(total=0.2)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(fake.base_url + "/v2/projects/default")
    await asyncio.sleep(0.1)  # the fake notices the disconnect and lets go
    assert (await send(fake, "GET", "/v2/projects/default")).status == 200


@pytest.mark.parametrize("fault", [Fault.hang(), Fault.latency(30.0)])
async def test_fake_closes_fast_with_requests_in_flight(fault: Fault) -> None:
    fake = FakeDigitalOcean()
    await fake.start()
    fake.script("projects_list", fault)
    fake.latency = 0.0
    waiting = asyncio.create_task(send(fake, "GET", "/v2/projects"))
    await arrivals(fake)
    start = time.perf_counter()
    await fake.close()
    assert time.perf_counter() - start < 1.0
    with pytest.raises(aiohttp.ClientError):
        await waiting
    await fake.close()  # twice is fine


async def test_fake_global_latency_is_cut_short_by_close() -> None:
    fake = FakeDigitalOcean(latency=30.0)
    await fake.start()
    waiting = asyncio.create_task(send(fake, "GET", "/v2/projects"))
    await arrivals(fake)
    await fake.close()
    with pytest.raises(aiohttp.ClientError):
        await waiting


async def test_fake_invalid_json(fake: FakeDigitalOcean) -> None:
    fake.script("projects_list", Fault.invalid_json())
    answer = await send(fake, "GET", "/v2/projects")
    assert answer.status == 200
    assert answer.raw == b'{"projects": ['
    assert answer.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        _ = answer.json


@pytest.mark.parametrize(
    ("status", "title"), [(502, "502 Bad Gateway"), (504, "504 Gateway Timeout")]
)
async def test_fake_html_error(fake: FakeDigitalOcean, status: int, title: str) -> None:
    fake.script("projects_list", Fault.html_error(status) if status != 502 else Fault.html_error())
    answer = await send(fake, "GET", "/v2/projects")
    assert answer.status == status
    assert answer.headers["Content-Type"].startswith("text/html")
    assert f"<title>{title}</title>" in answer.raw.decode()
    assert "ratelimit-remaining" not in answer.headers
    assert fake.requests[-1].status == status


async def test_fake_skewed_date_for_one_answer() -> None:
    clock = 1_700_000_000.0
    async with FakeDigitalOcean(clock=lambda: clock) as fake:
        fake.script("projects_list", Fault.skewed_date(-120))
        skewed = await send(fake, "GET", "/v2/projects")
        normal = await send(fake, "GET", "/v2/projects")
        assert parsedate_to_datetime(skewed.headers["Date"]).timestamp() == clock - 120
        assert parsedate_to_datetime(normal.headers["Date"]).timestamp() == clock
        assert int(skewed.headers["ratelimit-reset"]) == clock + 3600 - 120


async def test_fake_records_every_request(fake: FakeDigitalOcean) -> None:
    await send(fake, "GET", "/v2/projects", params={"page": "1", "per_page": "5"})
    await send(fake, "POST", "/v2/projects", json=CREATE, headers={"X-Test": "yes"})
    await send(fake, "POST", "/v2/projects", body="{oops")
    await send(fake, "GET", "/v2/nothing")
    listing, create, broken, unknown = fake.requests
    assert (listing.method, listing.path, listing.query) == (
        "GET",
        "/v2/projects",
        {"page": "1", "per_page": "5"},
    )
    assert (listing.operation, listing.status, listing.json) == ("projects_list", 200, None)
    assert create.headers["authorization"] == f"Bearer {TOKEN}"
    assert create.headers["x-test"] == "yes"
    assert (create.json, create.status) == (CREATE, 201)
    assert (broken.json, broken.body, broken.status) == (None, b"{oops", 400)
    assert (unknown.operation, unknown.status) == (None, 404)
    assert fake.received() == 4
    assert fake.received("projects_create") == 2
    assert fake.processed_writes() == 1
    assert listing.time <= create.time
