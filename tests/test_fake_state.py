from __future__ import annotations

import socket
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from aiodo_projects.testing import FakeDigitalOcean, Fault
from aiodo_projects.testing._state import ENVIRONMENTS, PURPOSES
from tests.fake_http import send

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    async with FakeDigitalOcean() as running:
        yield running


async def test_fake_seed_numbers_projects(fake: FakeDigitalOcean) -> None:
    added = fake.seed(3, resources_per_project=2)
    assert [p["name"] for p in added] == ["project-00001", "project-00002", "project-00003"]
    more = fake.seed(2)
    assert [p["name"] for p in more] == ["project-00004", "project-00005"]
    assert len(fake.projects) == 6
    assert len(fake.resources_of(added[0]["id"])) == 2
    answer = await send(fake, "GET", "/v2/projects")
    assert answer.json["meta"] == {"total": 6}
    assert {p["environment"] for p in fake.seed(3)} == set(ENVIRONMENTS)
    with pytest.raises(ValueError, match="counts"):
        fake.seed(-1)
    with pytest.raises(ValueError, match="counts"):
        fake.seed(1, resources_per_project=10_000)


async def test_fake_seed_scales_to_a_large_listing(fake: FakeDigitalOcean) -> None:
    fake.seed(20_000)
    answer = await send(fake, "GET", "/v2/projects", params={"page": "100", "per_page": "200"})
    names = [p["name"] for p in answer.json["projects"]]
    assert names[0] == "project-19800"
    assert names[-1] == "project-19999"
    assert "next" in answer.json["links"]["pages"]


def demo_snapshot(seed: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    fake = FakeDigitalOcean()
    fake.seed_demo(seed=seed)
    return [(p, fake.resources_of(pid)) for pid, p in fake.projects.items() if not p["is_default"]]


def test_fake_seed_demo_is_realistic_and_deterministic() -> None:
    snapshot = demo_snapshot(0)
    projects = [p for p, _ in snapshot]
    resources = [r for _, rs in snapshot for r in rs]
    assert len(projects) == 300
    assert len({p["name"] for p in projects}) == 300
    assert {p["environment"] for p in projects} == set(ENVIRONMENTS)
    purposes = {p["purpose"] for p in projects}
    assert set(PURPOSES) <= purposes
    assert any(purpose.startswith("Other: ") for purpose in purposes)
    assert sum(1 for _, rs in snapshot if not rs) > 5
    kinds = Counter(r["urn"].split(":")[1] for r in resources)
    assert set(kinds) == {
        "droplet", "volume", "domain", "dbaas", "kubernetes", "loadbalancer", "space",
        "floatingip", "app",
    }  # fmt: skip
    statuses = Counter(r["status"] for r in resources)
    assert statuses["not_found"] >= 1
    assert statuses["service_down"] >= 1
    assert statuses["ok"] > 0.9 * len(resources)
    assert all(p["created_at"] <= p["updated_at"] for p in projects)
    assert snapshot == demo_snapshot(0)
    assert snapshot != demo_snapshot(1)


def test_fake_seed_demo_small_still_has_an_empty_and_failing_project() -> None:
    fake = FakeDigitalOcean()
    first, second = fake.seed_demo(projects=2, seed=7)
    assert fake.resources_of(first["id"]) == []
    assert {r["status"] for r in fake.resources_of(second["id"])} >= {"not_found", "service_down"}
    fake.seed_demo(projects=30, seed=8)  # a second batch gets fresh names
    assert len(fake.projects) == 33
    with pytest.raises(ValueError, match="already exists"):
        fake.seed_demo(projects=1, seed=8)  # the same seed makes the same ids


def test_fake_add_project_validates() -> None:
    fake = FakeDigitalOcean()
    fake.add_project(name="web")
    with pytest.raises(ValueError, match="already exists"):
        fake.add_project(name="web")
    with pytest.raises(ValueError, match="environment"):
        fake.add_project(name="x", environment="prod")
    with pytest.raises(ValueError, match="name"):
        fake.add_project(name="")


def test_fake_add_project_fields() -> None:
    fake = FakeDigitalOcean()
    when = datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC)
    project = fake.add_project(
        name="ops", purpose="tools", description="d", created_at=when, is_default=True
    )
    assert project["created_at"] == project["updated_at"] == "2020-05-06T07:08:09Z"
    assert project["purpose"] == "Other: tools"
    assert fake.default_project_id == project["id"]
    assert fake.add_project(name="s", created_at="2019-01-01T00:00:00Z")["created_at"] == (
        "2019-01-01T00:00:00Z"
    )


def test_fake_add_resource_moves_and_validates() -> None:
    fake = FakeDigitalOcean()
    a = fake.add_project(name="a")
    fake.add_resource(a["id"], "do:space:assets")
    moved = fake.add_resource("default", "do:space:assets", status="service_down")
    assert moved["links"]["self"] == "https://api.digitalocean.com/v2/spaces/assets"
    assert fake.resources_of(a["id"]) == []
    assert fake.resources_of("default") == [moved]
    with pytest.raises(ValueError, match="urn"):
        fake.add_resource("default", "droplet-1")
    with pytest.raises(KeyError):
        fake.add_resource("4de7ac8b-495b-4884-9a69-1050c6793cd6", "do:droplet:1")
    with pytest.raises(KeyError):
        fake.resources_of("nope")
    odd = fake.add_resource("default", "do:gizmo:a/b", assigned_at=datetime(2021, 1, 1, tzinfo=UTC))
    assert odd["links"]["self"] == "https://api.digitalocean.com/v2/gizmos/a%2Fb"
    assert odd["assigned_at"] == "2021-01-01T00:00:00Z"


def test_fake_projects_view_is_read_only() -> None:
    fake = FakeDigitalOcean()
    with pytest.raises(TypeError):
        fake.projects["x"] = {}  # type: ignore[index]


async def test_fake_lifecycle_errors() -> None:
    fake = FakeDigitalOcean()
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.base_url
    async with fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert not fake.base_url.endswith("/")
        with pytest.raises(RuntimeError, match="already running"):
            await fake.start()
        port = int(fake.base_url.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="in use"):
            await FakeDigitalOcean(port=port).start()
    await fake.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com", ""])  # noqa: S104
def test_fake_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeDigitalOcean(host=host)


def test_fake_needs_a_token() -> None:
    with pytest.raises(ValueError, match="token"):
        FakeDigitalOcean(tokens=[])


async def test_fake_listens_on_localhost() -> None:
    async with FakeDigitalOcean(host="localhost") as fake:
        assert (await send(fake, "GET", "/v2/projects")).status == 200


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
async def test_fake_listens_on_ipv6_loopback() -> None:
    try:
        fake = FakeDigitalOcean(host="::1")
        await fake.start()
    except OSError:  # pragma: no cover - IPv6 disabled on this machine
        pytest.skip("cannot bind ::1")
    try:
        assert fake.base_url.startswith("http://[::1]:")
        assert (await send(fake, "GET", "/v2/projects")).status == 200
    finally:
        await fake.close()


async def test_fake_can_restart_with_its_state() -> None:
    fake = FakeDigitalOcean()
    fake.add_project(name="kept")
    async with fake:
        await fake.close()
    fake.script("projects_list", Fault.latency(0.01))
    async with fake:
        answer = await send(fake, "GET", "/v2/projects")
        assert answer.json["meta"]["total"] == 2


async def test_fake_record_limit_keeps_the_latest_requests_and_exact_counts() -> None:
    async with FakeDigitalOcean(record_limit=5) as fake:
        for page in range(1, 21):
            await send(fake, "GET", "/v2/projects", params={"page": str(page)})
        await send(fake, "GET", "/v2/projects/default")
        assert [r.query.get("page") for r in fake.requests] == ["17", "18", "19", "20", None]
        assert fake.received() == 21
        assert fake.received("projects_list") == 20
        assert fake.received("projects_get_default") == 1
        fake.clear_requests()
        assert (fake.requests, fake.received(), fake.received("projects_list")) == ([], 0, 0)


async def test_fake_record_limit_trims_a_tenth_at_a_time(fake: FakeDigitalOcean) -> None:
    async with FakeDigitalOcean(record_limit=20) as limited:
        sizes = []
        for _ in range(30):
            await send(limited, "GET", "/v2/projects")
            sizes.append(len(limited.requests))
        assert max(sizes) == 22
        assert sizes[21:24] == [22, 20, 21]  # over 22 it drops back to the limit
        assert limited.received() == 30
    for _ in range(30):  # without a limit, every request stays
        await send(fake, "GET", "/v2/projects")
    assert len(fake.requests) == fake.received() == 30


@pytest.mark.parametrize("limit", [-1, 2.0, "10"])
def test_fake_record_limit_must_be_a_count(limit: object) -> None:
    with pytest.raises(ValueError, match="record_limit"):
        FakeDigitalOcean(record_limit=limit)  # type: ignore[arg-type]
