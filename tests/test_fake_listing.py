from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from aiodo_projects.testing import FakeDigitalOcean
from tests.fake_http import send

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    async with FakeDigitalOcean() as running:
        yield running


async def test_fake_single_page_has_no_links(fake: FakeDigitalOcean) -> None:
    answer = await send(fake, "GET", "/v2/projects")
    assert answer.json == {
        "projects": [fake.projects[fake.default_project_id]],
        "links": {},
        "meta": {"total": 1},
    }


async def test_fake_listing_links_name_only_the_pages_that_apply(fake: FakeDigitalOcean) -> None:
    fake.seed(44)  # 45 projects: pages of 20, 20, 5
    url = fake.base_url + "/v2/projects"
    first = (await send(fake, "GET", "/v2/projects")).json
    assert [p["name"] for p in first["projects"]][:2] == ["Default", "project-00001"]
    assert len(first["projects"]) == 20
    assert first["links"] == {"pages": {"next": f"{url}?page=2", "last": f"{url}?page=3"}}
    assert first["meta"] == {"total": 45}
    middle = (await send(fake, "GET", "/v2/projects", params={"page": "2"})).json
    assert middle["links"]["pages"] == {
        "first": f"{url}?page=1",
        "prev": f"{url}?page=1",
        "next": f"{url}?page=3",
        "last": f"{url}?page=3",
    }
    last = (await send(fake, "GET", "/v2/projects", params={"page": "3"})).json
    assert last["links"]["pages"] == {"first": f"{url}?page=1", "prev": f"{url}?page=2"}
    assert [p["name"] for p in last["projects"]][-1] == "project-00044"
    past = (await send(fake, "GET", "/v2/projects", params={"page": "9"})).json
    assert past["projects"] == []
    assert past["meta"] == {"total": 45}
    assert set(past["links"]["pages"]) == {"first", "prev"}


async def test_fake_links_keep_per_page(fake: FakeDigitalOcean) -> None:
    fake.seed(4)
    answer = await send(fake, "GET", "/v2/projects", params={"per_page": "2", "page": "2"})
    pages = answer.json["links"]["pages"]
    assert pages["next"] == f"{fake.base_url}/v2/projects?page=3&per_page=2"
    assert pages["first"] == f"{fake.base_url}/v2/projects?page=1&per_page=2"
    assert len(answer.json["projects"]) == 2


async def test_fake_links_use_the_public_url() -> None:
    async with FakeDigitalOcean(public_url="https://proxy.example/") as fake:
        fake.seed(30)
        answer = await send(fake, "GET", "/v2/projects")
        assert answer.json["links"]["pages"]["next"] == "https://proxy.example/v2/projects?page=2"


async def test_fake_per_page_200_is_the_maximum(fake: FakeDigitalOcean) -> None:
    fake.seed(250)
    answer = await send(fake, "GET", "/v2/projects", params={"per_page": "200"})
    assert len(answer.json["projects"]) == 200


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": ""},
        {"page": "--1"},
        {"per_page": "0"},
        {"per_page": "201"},
        {"per_page": "1.5"},
    ],
)
async def test_fake_bad_paging_is_400(fake: FakeDigitalOcean, params: dict[str, str]) -> None:
    answer = await send(fake, "GET", "/v2/projects", params=params)
    assert answer.status == 400
    assert answer.json["id"] == "bad_request"


async def test_fake_listing_shows_changes(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="before")
    await send(fake, "GET", "/v2/projects")  # caches the encoded project
    await send(fake, "PATCH", f"/v2/projects/{project['id']}", json={"name": "after"})
    names = [p["name"] for p in (await send(fake, "GET", "/v2/projects")).json["projects"]]
    assert names == ["Default", "after"]


async def test_fake_resource_listing_pages(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="p")
    path = f"/v2/projects/{project['id']}/resources"
    empty = (await send(fake, "GET", path)).json
    assert empty == {"resources": [], "links": {}, "meta": {"total": 0}}
    for n in range(25):
        fake.add_resource(project["id"], f"do:droplet:{n}")
    answer = await send(fake, "GET", path, params={"per_page": "10", "page": "3"})
    assert [r["urn"] for r in answer.json["resources"]] == [
        f"do:droplet:{n}" for n in range(20, 25)
    ]
    assert answer.json["meta"] == {"total": 25}
    assert answer.json["links"]["pages"]["prev"] == f"{fake.base_url}{path}?page=2&per_page=10"
    assert fake.received("projects_list_resources") == 2


async def test_fake_default_resources(fake: FakeDigitalOcean) -> None:
    fake.add_resource(
        "default", "do:volume:abc", status="not_found", assigned_at="2020-01-02T03:04:05Z"
    )
    answer = await send(fake, "GET", "/v2/projects/default/resources")
    assert answer.json["resources"] == [
        {
            "urn": "do:volume:abc",
            "assigned_at": "2020-01-02T03:04:05Z",
            "links": {"self": "https://api.digitalocean.com/v2/volumes/abc"},
            "status": "not_found",
        }
    ]
    assert fake.resources_of("default") == answer.json["resources"]


async def test_fake_resources_of_an_unknown_project_is_404(fake: FakeDigitalOcean) -> None:
    answer = await send(fake, "GET", "/v2/projects/4de7ac8b-495b-4884-9a69-1050c6793cd6/resources")
    assert answer.status == 404


async def test_fake_assign_moves_and_reports_each_resource(fake: FakeDigitalOcean) -> None:
    a, b = fake.add_project(name="a"), fake.add_project(name="b")
    fake.add_resource(a["id"], "do:droplet:1")
    fake.add_resource(b["id"], "do:domain:example.com")
    urns = ["do:droplet:1", "do:domain:example.com", "do:kubernetes:k8s-1"]
    answer = await send(fake, "POST", f"/v2/projects/{b['id']}/resources", json={"resources": urns})
    assert answer.status == 200
    got = answer.json["resources"]
    assert [(r["urn"], r["status"]) for r in got] == [
        ("do:droplet:1", "assigned"),
        ("do:domain:example.com", "already_assigned"),
        ("do:kubernetes:k8s-1", "assigned"),
    ]
    assert got[2]["links"]["self"] == "https://api.digitalocean.com/v2/kubernetes/clusters/k8s-1"
    assert fake.resources_of(a["id"]) == []
    assert [r["status"] for r in fake.resources_of(b["id"])] == ["ok", "ok", "ok"]
    assert fake.processed_writes("projects_assign_resources") == 1


async def test_fake_assign_to_the_default(fake: FakeDigitalOcean) -> None:
    body = {"resources": ["do:floatingip:192.0.2.1", "do:app:x"]}
    answer = await send(fake, "POST", "/v2/projects/default/resources", json=body)
    assert [r["status"] for r in answer.json["resources"]] == ["assigned", "assigned"]
    assert [r["links"]["self"] for r in fake.resources_of(fake.default_project_id)] == [
        "https://api.digitalocean.com/v2/floating_ips/192.0.2.1",
        "https://api.digitalocean.com/v2/apps/x",
    ]
    empty = await send(fake, "POST", "/v2/projects/default/resources", json={"resources": []})
    assert empty.json == {"resources": []}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"resources": ["droplet:1"]}, 422),
        ({"resources": ["do:droplet:"]}, 422),
        ({"resources": ["do:Droplet:1"]}, 422),
        ({"resources": [1]}, 422),
        ({"resources": "do:droplet:1"}, 422),
        ({}, 422),
        (["do:droplet:1"], 400),
    ],
)
async def test_fake_assign_refuses_bad_bodies(
    fake: FakeDigitalOcean, body: object, status: int
) -> None:
    answer = await send(fake, "POST", "/v2/projects/default/resources", json=body)
    assert answer.status == status
    assert fake.resources_of("default") == []
    assert fake.processed_writes() == 0


async def test_fake_assign_is_all_or_nothing(fake: FakeDigitalOcean) -> None:
    body = {"resources": ["do:droplet:1", "bad"]}
    answer = await send(fake, "POST", "/v2/projects/default/resources", json=body)
    assert answer.status == 422
    assert fake.resources_of("default") == []


async def test_fake_assign_to_an_unknown_project_is_404(fake: FakeDigitalOcean) -> None:
    path = "/v2/projects/4de7ac8b-495b-4884-9a69-1050c6793cd6/resources"
    answer = await send(fake, "POST", path, json={"resources": ["do:droplet:1"]})
    assert answer.status == 404
