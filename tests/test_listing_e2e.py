"""Listing and auto-pagination against the fake, at many sizes and page sizes."""

from __future__ import annotations

import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, ScriptedResponse
from tests.conftest import TOKEN

SIZES = [0, 1, 200, 201, 1234]


@pytest.mark.parametrize("seeded", SIZES, indirect=True, ids=[f"n{n}" for n in SIZES])
@pytest.mark.parametrize("per_page", [1, 37, 200])
async def test_iter_all_streams_every_project_once_in_order(
    seeded: tuple[FakeDigitalOcean, do.Client], per_page: int
) -> None:
    fake, client = seeded
    if per_page == 1 and len(fake.projects) > 201:
        per_page = 2  # 1,234 single-item pages would only slow the suite; 2 still crosses pages
    iterator = client.projects.iter_all(per_page=per_page)
    ids = [project.id async for project in iterator]
    assert ids == list(fake.projects)
    assert len(set(ids)) == len(ids)
    expected_pages = max(1, -(-len(ids) // per_page))
    assert iterator.pages_fetched == expected_pages
    assert iterator.total == len(fake.projects)


@pytest.mark.parametrize("seeded", [201], indirect=True)
async def test_list_returns_one_page_with_total_and_links(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    first = await client.projects.list(per_page=100)
    assert len(first.items) == 100
    assert first.total == len(fake.projects)
    assert first.links.next is not None
    assert first.links.last is not None
    assert first.links.prev is None
    last = await client.projects.list(page=3, per_page=100)
    assert len(last.items) == len(fake.projects) - 200
    assert last.links.next is None
    assert last.links.prev is not None
    assert fake.requests[-1].query == {"page": "3", "per_page": "100"}


@pytest.mark.parametrize("seeded", [50], indirect=True)
async def test_pages_yields_whole_pages(seeded: tuple[FakeDigitalOcean, do.Client]) -> None:
    _, client = seeded
    sizes = [len(page) async for page in client.projects.iter_all(per_page=20).pages()]
    assert sizes == [20, 20, 11]


@pytest.mark.parametrize("seeded", [500], indirect=True)
async def test_break_early_leaves_nothing_running(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = seeded
    seen = 0
    async for _ in client.projects.iter_all(per_page=20):
        seen += 1
        if seen == 30:
            break
    assert fake.received("projects_list") == 2
    assert await client.projects.get_default()


async def test_next_link_naming_another_host_is_sent_to_base_url() -> None:
    async with FakeDigitalOcean(token=TOKEN, public_url="https://evil.example:8443") as fake:
        fake.seed(projects=45)
        async with do.Client(token=TOKEN, base_url=fake.base_url) as client:
            page = await client.projects.list(per_page=20)
            assert page.links.next is not None
            assert page.links.next.startswith("https://evil.example:8443/")
            ids = [p.id async for p in client.projects.iter_all(per_page=20)]
        assert ids == list(fake.projects)
        assert fake.received("projects_list") == 4


async def test_repeating_next_link_raises(client: do.Client, fake: FakeDigitalOcean) -> None:
    fake.seed(projects=10)
    projects = list(fake.projects.values())
    loop = f"{fake.base_url}/v2/projects?page=1&per_page=5"
    fake.script(
        "projects_list",
        200,
        ScriptedResponse(
            200,
            json={
                "projects": projects[5:10],
                "links": {"pages": {"next": loop}},
                "meta": {"total": 11},
            },
        ),
    )
    seen: list[str] = []
    with pytest.raises(do.DecodeError, match="repeats"):
        async for project in client.projects.iter_all(per_page=5):
            seen.append(project.id)
    assert len(seen) == 10
    assert fake.received("projects_list") == 2


async def test_failing_page_raises_instead_of_a_short_list(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    fake.seed(projects=30)
    fake.script("projects_list", 200, 404)
    seen: list[str] = []
    with pytest.raises(do.NotFoundError):
        async for project in client.projects.iter_all(per_page=10):
            seen.append(project.id)
    assert len(seen) == 10
