"""Concurrent page fetch against the fake: completeness, order, failures, drift, clean stops."""

from __future__ import annotations

import asyncio

import pytest

import aiodo_projects as do
from aiodo_projects._prefetch import TASK_PREFIX
from aiodo_projects.testing import FakeDigitalOcean
from tests.conftest import TOKEN

SIZES = [0, 199, 1234]


@pytest.mark.parametrize("seeded", SIZES, indirect=True, ids=[f"n{n}" for n in SIZES])
@pytest.mark.parametrize(("per_page", "concurrency"), [(37, 8), (200, 3), (100, 32)])
async def test_iter_all_concurrently_streams_every_project_once_in_order(
    seeded: tuple[FakeDigitalOcean, do.Client], per_page: int, concurrency: int
) -> None:
    fake, client = seeded
    iterator = client.projects.iter_all(per_page=per_page, concurrency=concurrency)
    ids = [project.id async for project in iterator]
    assert ids == list(fake.projects)
    expected_pages = max(1, -(-len(ids) // per_page))
    assert iterator.pages_fetched == expected_pages
    assert fake.received("projects_list") == expected_pages
    assert sorted(int(r.query["page"]) for r in fake.requests) == list(range(1, expected_pages + 1))
    assert not iterator.drifted


@pytest.mark.parametrize("seeded", [0], indirect=True)
async def test_iter_resources_concurrently_yields_every_resource(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    project = fake.add_project(name="many")
    urns = [f"do:droplet:{n}" for n in range(1, 96)]
    for urn in urns:
        fake.add_resource(project["id"], urn)
    fake.add_resource("default", "do:volume:abc")
    got = [
        r.urn
        async for r in client.projects.iter_resources(project["id"], per_page=10, concurrency=4)
    ]
    assert got == urns
    default = [r.urn async for r in client.projects.iter_default_resources(concurrency=2)]
    assert default == ["do:volume:abc"]


@pytest.mark.parametrize("seeded", [300], indirect=True)
async def test_iter_all_concurrently_raises_a_failing_page(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    fake.script("projects_list", 200, 200, 404)
    seen: list[str] = []
    with pytest.raises(do.NotFoundError):
        async for project in client.projects.iter_all(per_page=20, concurrency=4):
            seen.append(project.id)
    assert len(seen) < len(fake.projects)
    assert seen == list(fake.projects)[: len(seen)]
    assert fake.received("projects_list") <= 1 + 4 + 1


@pytest.mark.parametrize("seeded", [500], indirect=True)
async def test_iter_all_concurrently_break_early_then_close_leaves_nothing(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    seen = 0
    async for _ in client.projects.iter_all(per_page=20, concurrency=4):
        seen += 1
        if seen == 30:
            break
    await client.aclose()  # straight after the break: the abandoned fetches must not complain
    for _ in range(5):
        await asyncio.sleep(0)
    assert fake.received("projects_list") <= 1 + 4 + 1
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith(TASK_PREFIX)]


@pytest.mark.parametrize("seeded", [60], indirect=True)
async def test_iter_all_concurrently_follows_projects_added_during_the_walk(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    iterator = client.projects.iter_all(per_page=10, concurrency=2)
    ids = [(await iterator.__anext__()).id]
    added = [fake.add_project(name=f"late-{n}")["id"] for n in range(15)]
    ids += [project.id async for project in iterator]
    assert ids == list(fake.projects)
    assert ids[-15:] == added
    assert len(set(ids)) == len(ids)
    assert iterator.drifted


@pytest.mark.parametrize("seeded", [60], indirect=True)
async def test_iter_all_reports_projects_removed_during_the_walk(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    before = list(fake.projects)
    iterator = client.projects.iter_all(per_page=10)
    ids = [(await iterator.__anext__()).id]
    for project_id in before[1:4]:
        await client.projects.delete(project_id)
    ids += [project.id async for project in iterator]
    assert len(set(ids)) == len(ids)
    assert iterator.drifted
    assert set(ids) <= set(before)


async def test_iter_all_concurrently_sends_rebased_links_to_base_url() -> None:
    async with FakeDigitalOcean(token=TOKEN, public_url="https://evil.example:8443") as fake:
        fake.seed(projects=95)
        async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
            ids = [p.id async for p in client.projects.iter_all(per_page=20, concurrency=4)]
        assert ids == list(fake.projects)
        assert fake.received("projects_list") == 5


async def test_iter_all_rejects_a_bad_concurrency(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    with pytest.raises(do.ValidationError, match="concurrency"):
        client.projects.iter_all(concurrency=0)
    assert fake.received() == 0
