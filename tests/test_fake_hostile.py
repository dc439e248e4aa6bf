"""The fake under hostile requests: it answers 4xx and never enters a broken state."""

from __future__ import annotations

import gzip
import logging
import math
from typing import TYPE_CHECKING

import pytest

from aiodo_projects.testing import FakeDigitalOcean, Fault
from aiodo_projects.testing._faults import FaultKind
from tests.fake_http import send

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

# JSON escapes for lone surrogates: valid JSON text, but no UTF-8 encoding exists for them.
HIGH, LOW = "\\ud800", "\\udcff"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    async with FakeDigitalOcean() as running:
        running.seed(2, resources_per_project=1)
        yield running


def _raw(text: str) -> bytes:
    return text.encode()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v2/projects", f'{{"name":"{HIGH}","purpose":"IoT"}}'),
        ("POST", "/v2/projects", f'{{"name":"x","purpose":"IoT","description":"{LOW}"}}'),
        ("POST", "/v2/projects", f'{{"name":"x","purpose":"a{HIGH}b"}}'),
        ("PATCH", "/v2/projects/default", f'{{"name":"{HIGH}"}}'),
        ("PATCH", "/v2/projects/default", f'{{"name":"renamed","description":"{LOW}"}}'),
        (
            "PUT",
            "/v2/projects/default",
            (
                '{"name":"n","description":"d","purpose":"IoT","environment":"Staging",'
                f'"is_default":true,"x":"{HIGH}","purpose":"{HIGH}"}}'
            ),
        ),
        ("POST", "/v2/projects/default/resources", f'{{"resources":["do:droplet:{LOW}"]}}'),
        (
            "POST",
            "/v2/projects/default/resources",
            f'{{"resources":["do:droplet:7","do:volume:{HIGH}"]}}',
        ),
    ],
)
async def test_fake_refuses_text_it_cannot_encode_and_keeps_its_state(
    fake: FakeDigitalOcean, method: str, path: str, body: str
) -> None:
    listings = ("/v2/projects", "/v2/projects/default", "/v2/projects/default/resources")
    before = [(await send(fake, "GET", where)).raw for where in listings]
    headers = {"Content-Type": "application/json"}
    answer = await send(fake, method, path, body=_raw(body), headers=headers)
    assert answer.status == 422
    assert answer.json["id"] == "unprocessable_entity"
    assert "UTF-8" in answer.json["message"]
    after = [await send(fake, "GET", where) for where in listings]
    assert [a.status for a in after] == [200, 200, 200]
    # The same data, not just a 200: only the request ids of the answers differ.
    assert [a.raw for a in after] == before
    assert fake.processed_writes() == 0


async def test_fake_python_api_refuses_text_it_cannot_encode(fake: FakeDigitalOcean) -> None:
    before = dict(fake.projects)
    with pytest.raises(ValueError, match="UTF-8"):
        fake.add_project(name="\ud800")
    with pytest.raises(ValueError, match="UTF-8"):
        fake.add_resource("default", "do:droplet:1", status="\udcff")
    with pytest.raises(ValueError, match="UTF-8"):
        fake.add_resource("default", "do:droplet:\udcff")
    assert dict(fake.projects) == before
    assert fake.resources_of("default") == []
    assert (await send(fake, "GET", "/v2/projects")).status == 200


async def test_fake_update_is_all_or_nothing(fake: FakeDigitalOcean) -> None:
    default = dict(fake.projects[fake.default_project_id])
    body = _raw(f'{{"name":"renamed","is_default":true,"description":"{HIGH}"}}')
    answer = await send(fake, "PATCH", "/v2/projects/default", body=body)
    assert answer.status == 422
    assert fake.projects[fake.default_project_id] == default
    # The old name is still taken and the new one still free.
    for name, status in [("Default", 409), ("renamed", 201)]:
        create = {"name": name, "purpose": "IoT"}
        assert (await send(fake, "POST", "/v2/projects", json=create)).status == status


async def test_fake_request_body_that_is_not_the_gzip_it_claims_is_a_400(
    fake: FakeDigitalOcean, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    with caplog.at_level(logging.DEBUG):
        answer = await send(fake, "POST", "/v2/projects", body=b"not gzip", headers=headers)
    assert answer.status == 400
    assert answer.json["id"] == "bad_request"
    assert "Content-Encoding" in answer.json["message"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert fake.processed_writes() == 0
    [record] = fake.requests
    assert (record.operation, record.status, record.body) == ("projects_create", 400, b"")
    # A body that is gzip is read as the JSON inside it.
    created = await send(
        fake, "POST", "/v2/projects", body=gzip.compress(b'{"name":"z","purpose":"IoT"}'),
        headers=headers,
    )  # fmt: skip
    assert created.status == 201


async def test_fake_page_links_name_its_own_address_not_the_host_header(
    fake: FakeDigitalOcean,
) -> None:
    fake.seed(30)
    answer = await send(fake, "GET", "/v2/projects", headers={"Host": "evil.example:666"})
    assert answer.json["links"]["pages"]["next"] == f"{fake.base_url}/v2/projects?page=2"
    pid = fake.default_project_id
    for n in range(25):
        fake.add_resource(pid, f"do:droplet:{n}")
    answer = await send(
        fake, "GET", f"/v2/projects/{pid}/resources", headers={"Host": "evil.example"}
    )
    expected = f"{fake.base_url}/v2/projects/{pid}/resources?page=2"
    assert answer.json["links"]["pages"]["next"] == expected


@pytest.mark.parametrize("port", [-1, 65536, 99999, True, 1.5, "80"])
def test_fake_refuses_a_port_that_is_not_one(port: object) -> None:
    with pytest.raises(ValueError, match="port"):
        FakeDigitalOcean(port=port)  # type: ignore[arg-type]


def test_fake_refuses_a_host_that_is_not_text() -> None:
    with pytest.raises(ValueError, match="host must be a str"):
        FakeDigitalOcean(host=0x7F000001)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, -0.5, True, "1"])
def test_fake_refuses_a_latency_that_is_not_a_finite_delay(seconds: object) -> None:
    with pytest.raises(ValueError, match="latency"):
        FakeDigitalOcean(latency=seconds)  # type: ignore[arg-type]
    fake = FakeDigitalOcean()
    with pytest.raises(ValueError, match="latency"):
        fake.latency = seconds  # type: ignore[assignment]
    assert fake.latency == 0.0
    with pytest.raises(ValueError, match="latency"):
        Fault.latency(seconds)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds"):
        Fault(FaultKind.LATENCY, seconds=seconds)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf])
def test_fake_refuses_a_clock_skew_that_is_not_finite(seconds: float) -> None:
    with pytest.raises(ValueError, match="skew"):
        FakeDigitalOcean(date_skew=seconds)
    with pytest.raises(ValueError, match="seconds"):
        Fault.skewed_date(seconds)


def test_fake_accepts_ordinary_delays() -> None:
    assert FakeDigitalOcean(latency=1).latency == 1
    assert Fault.latency(0).seconds == 0
    assert Fault.skewed_date(-30.5).seconds == -30.5
