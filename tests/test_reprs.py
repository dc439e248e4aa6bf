"""Reprs a person can read: models in API order, pages, paginators, the fake, seeded data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, LimitConfig
from tests.conftest import TOKEN

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
ID = "4fc2a9b8-1c1e-4f7e-9a0b-2d3c4e5f6a7b"
OWNER = "5f0e8a2b9c3d4e1f8a7b6c5d4e3f2a1b0c9d8e7f"
PROJECT = do.Project(
    id=ID,
    owner_uuid=OWNER,
    owner_id=4242424,
    name="web",
    description="The shop",
    purpose="Web Application",
    environment=do.Environment.PRODUCTION,
    created_at=T0,
    updated_at=T0,
)
LINK = "https://api.digitalocean.com/v2/projects?page={}&per_page=200"


def test_models_to_dict_json_keeps_the_api_shape_in_api_order() -> None:
    assert list(PROJECT.to_dict()) == [
        "id", "owner_uuid", "owner_id", "name", "description", "purpose", "environment",
        "is_default", "created_at", "updated_at",
    ]  # fmt: skip
    assert PROJECT.to_dict() == PROJECT.to_dict(mode="json")
    assert PROJECT.to_dict()["created_at"] == "2024-01-02T03:04:05Z"
    assert type(PROJECT.to_dict()["environment"]) is str
    resource = do.Resource("do:droplet:1", T0, do.ResourceLinks("https://x/1"), "ok")
    assert resource.to_dict() == {
        "urn": "do:droplet:1",
        "assigned_at": "2024-01-02T03:04:05Z",
        "links": {"self": "https://x/1"},
        "status": "ok",
    }


def test_models_to_dict_python_gives_aware_datetimes_and_plain_values() -> None:
    python = PROJECT.to_dict(mode="python")
    assert python["created_at"] == T0
    assert python["environment"] == "Production"
    assert type(python["environment"]) is str
    resource = do.Resource("do:droplet:1", T0, status=do.ResourceStatus.NOT_FOUND)
    dumped = resource.to_dict(mode="python")
    assert dumped["assigned_at"] == T0
    assert dumped["links"] == {"self": None}
    assert type(dumped["status"]) is str
    links = do.PageLinks(next=LINK.format(2))
    assert links.to_dict(mode="python") == {
        "first": None, "prev": None, "next": LINK.format(2), "last": None,
    }  # fmt: skip


def test_models_to_dict_refuses_an_unknown_mode() -> None:
    with pytest.raises(do.ValidationError, match="mode"):
        PROJECT.to_dict(mode="yaml")  # type: ignore[arg-type]


def test_project_repr_reads_in_api_order_and_fits_two_lines() -> None:
    text = repr(PROJECT)
    assert text == (
        f"Project(id='{ID}', name='web', description='The shop', purpose='Web Application', "
        "environment='Production', created_at=2024-01-02T03:04:05Z, "
        "updated_at=2024-01-02T03:04:05Z)"
    )
    assert len(repr(attrs.evolve(PROJECT, description="x" * 255))) <= 240
    assert repr(do.Project(id="a", name="b")) == "Project(id='a', name='b')"
    default = attrs.evolve(PROJECT, is_default=True, environment="Canary")
    assert "environment='Canary', is_default=True" in repr(default)


def test_resource_repr_shows_datetimes_statuses_and_links_plainly() -> None:
    resource = do.Resource(
        "do:droplet:1", T0, do.ResourceLinks("https://x/1"), do.ResourceStatus.ALREADY_ASSIGNED
    )
    assert repr(resource) == (
        "Resource(urn='do:droplet:1', assigned_at=2024-01-02T03:04:05Z, "
        "links={'self': 'https://x/1'}, status='already_assigned')"
    )
    assert repr(do.Resource("do:volume:9")) == "Resource(urn='do:volume:9')"
    offset = datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert "assigned_at=2024-01-02T03:04:05Z" in repr(do.Resource("do:a:1", offset))
    assert repr(do.PageLinks(next="n")) == "PageLinks(next='n')"


def _page(count: int, total: int, **links: str) -> do.Page[do.Project]:
    items = tuple(attrs.evolve(PROJECT, name=f"p{n}") for n in range(count))
    return do.Page(items=items, total=total, links=do.PageLinks(**links))


PAGE_CASES = [
    (
        _page(200, 1234, prev=LINK.format(1), next=LINK.format(3), last=LINK.format(7)),
        (
            "Page[Project](page 2 of 7, 200 of 1,234 items: "
            "Project(name='p0', environment='Production', ...), "
            "Project(name='p1', environment='Production', ...), "
            "Project(name='p2', environment='Production', ...), ... and 197 more)"
        ),
    ),
    (
        _page(2, 2),
        (
            "Page[Project](page 1 of 1, 2 of 2 items: Project(name='p0', environment='Production', "
            "...), Project(name='p1', environment='Production', ...))"
        ),
    ),
    (_page(3, 5, next=LINK.format(2)), "Page[Project](page 1, 3 of 5 items: "),
    (_page(2, 5, prev=LINK.format(2), first=LINK.format(1)), "Page[Project](page 3 of 3, "),
    (_page(1, 5, next="https://x/v2/projects?page=abc"), "Page[Project](1 of 5 items: "),
    (do.Page(items=(), total=0), "Page(page 1 of 1, 0 of 0 items)"),
    (do.Page(items=(1, 2), total=9), "Page[int](2 of 9 items: 1, 2)"),
]


@pytest.mark.parametrize(("page", "expected"), PAGE_CASES)
def test_page_repr_says_which_page_how_many_and_the_total(
    page: do.Page[object], expected: str
) -> None:
    assert repr(page).startswith(expected)
    assert len(repr(page)) < 300


def test_page_repr_of_a_full_page_stays_short() -> None:
    page = _page(200, 200)
    assert len(repr(page)) < 300
    assert "and 197 more" in repr(page)


def test_table_repr_counts_its_items() -> None:
    shown = do.table([PROJECT, PROJECT])
    assert repr(shown).startswith("Table[Project](2 items: Project(name='web'")
    assert len(shown) == 2
    assert shown[1] is PROJECT
    assert list(shown) == [PROJECT, PROJECT]
    assert repr(do.table([])) == "Table(0 items)"


@pytest.mark.parametrize("seeded", [45], indirect=True)
async def test_paginator_repr_says_where_the_walk_stands(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    _, client = seeded
    projects = client.projects.iter_all(per_page=20)
    assert repr(projects) == (
        "<Paginator /v2/projects per_page=20: 0 pages fetched, 0 items yielded, not started>"
    )
    first = await anext(projects)
    assert first.name == "Default"
    assert repr(projects) == (
        "<Paginator /v2/projects per_page=20: 1 page fetched, 1 item yielded of 46, in progress>"
    )
    rest = [p async for p in projects]
    assert len(rest) == 45
    assert repr(projects).endswith("3 pages fetched, 46 items yielded of 46, done>")
    pages = projects.pages()
    await anext(pages)
    assert repr(pages) == (
        "<PageIterator /v2/projects per_page=20: 1 page fetched, 1 page yielded of 46, in progress>"
    )
    await pages.aclose()
    assert repr(pages).endswith(", closed>")
    assert TOKEN not in repr(projects) + repr(pages)


@pytest.mark.parametrize("seeded", [45], indirect=True)
async def test_concurrent_paginator_repr_shows_the_window(
    seeded: tuple[FakeDigitalOcean, do.Client],
) -> None:
    _, client = seeded
    async with client.projects.iter_all(per_page=10, concurrency=3) as projects:
        await anext(projects)
        assert repr(projects).startswith(
            "<Paginator /v2/projects per_page=10 concurrency=3: 1 page fetched, 1 item yielded"
        )
        walk = projects._source.walk
        assert repr(walk) == (
            "<ConcurrentWalk concurrency=3: next page 2, 3 in flight, 1 page fetched, total 46>"
        )
    assert repr(projects).endswith(", closed>")
    assert repr(walk) == "<ConcurrentWalk concurrency=3: ended, 1 page fetched, total 46>"


async def test_fake_repr_shows_address_accounts_projects_and_limits() -> None:
    fake = FakeDigitalOcean(token=TOKEN, limits=LimitConfig(enforce=True))
    assert repr(fake) == ("<FakeDigitalOcean not running: 1 account, 1 project, limits enforced>")
    async with fake:
        fake.seed(10)
        fake.add_account("second-token").seed(5)
        assert repr(fake) == (
            f"<FakeDigitalOcean {fake.base_url}: 2 accounts, 17 projects, limits enforced>"
        )
    assert "limits not enforced" in repr(FakeDigitalOcean())
    assert TOKEN not in repr(fake)


def test_fake_seed_demo_returns_a_short_summary_that_holds_the_projects() -> None:
    fake = FakeDigitalOcean()
    seeded = fake.seed_demo(projects=50, seed=3)
    assert len(seeded) == 50
    resources = sum(len(fake.resources_of(pid)) for pid in seeded.ids)
    assert seeded.resources == resources > 0
    assert repr(seeded) == f"<SeededProjects: 50 projects, {resources} resources>"
    assert seeded[0]["id"] == seeded.ids[0] == list(fake.projects)[1]
    assert [p["id"] for p in seeded[:2]] == seeded.ids[:2]
    numbered = fake.seed(1_000, resources_per_project=2)
    assert repr(numbered) == "<SeededProjects: 1,000 projects, 2,000 resources>"
    assert numbered[-1]["name"] == "project-01000"
