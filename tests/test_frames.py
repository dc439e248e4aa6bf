"""Data frames from pages, lists and async iterators: real UTC datetimes, plain enum strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd
import polars as pl
import pytest

import aiodo_projects as do
from aiodo_projects import frames
from aiodo_projects.testing import FakeDigitalOcean
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PROJECT_COLUMNS = [
    "id", "owner_uuid", "owner_id", "name", "description", "purpose", "environment",
    "is_default", "created_at", "updated_at",
]  # fmt: skip
RESOURCE_COLUMNS = ["urn", "assigned_at", "links.self", "status"]


@pytest.fixture
async def demo() -> AsyncIterator[tuple[FakeDigitalOcean, do.Client]]:
    async with FakeDigitalOcean(token=TOKEN) as server:
        server.seed_demo(projects=30, seed=2)
        async with do.Client(token=TOKEN, base_url=server.base_url) as api:
            yield server, api


def _check_projects(df: pd.DataFrame, count: int) -> None:
    assert list(df.columns) == PROJECT_COLUMNS
    assert len(df) == count
    assert str(df["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(df["updated_at"].dtype) == "datetime64[ns, UTC]"
    assert str(df["owner_id"].dtype) == "int64"
    assert str(df["is_default"].dtype) == "bool"
    if count:
        assert {type(v) for v in df["environment"]} == {str}
        assert set(df["environment"]) <= {"Development", "Staging", "Production"}
        assert all(ts.tzinfo is not None for ts in df["created_at"])


async def test_to_pandas_from_a_page_a_list_and_an_async_iterator(
    demo: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = demo
    page = await client.projects.list(per_page=20)
    from_page = frames.to_pandas(page)
    _check_projects(from_page, 20)
    from_list = frames.to_pandas(list(page))
    pd.testing.assert_frame_equal(from_page, from_list)
    every = await frames.to_pandas(client.projects.iter_all(per_page=7))
    _check_projects(every, 31)
    assert list(every["id"]) == list(fake.projects)
    first = fake.projects[page.items[1].id]
    assert every["created_at"][1] == pd.Timestamp(first["created_at"])
    assert every["created_at"][1].isoformat().endswith("+00:00")


async def test_to_pandas_of_resources_flattens_links(
    demo: tuple[FakeDigitalOcean, do.Client],
) -> None:
    fake, client = demo
    second = list(fake.projects)[2]  # the demo's second project holds odd statuses
    df = await frames.to_pandas(client.projects.iter_resources(second))
    assert list(df.columns) == RESOURCE_COLUMNS
    assert str(df["assigned_at"].dtype) == "datetime64[ns, UTC]"
    assert {"not_found", "service_down"} <= set(df["status"])
    assert {type(v) for v in df["status"]} == {str}
    assert all(link.startswith("https://") for link in df["links.self"])


def test_to_pandas_keeps_missing_datetimes_as_nat_and_converts_offsets() -> None:
    naive = datetime(2024, 1, 2, 3, 4, 5)  # noqa: DTZ001 -- a hand-made model may hold one
    df = frames.to_pandas(
        [do.Project(id="a", name="b"), do.Project(id="c", name="d", created_at=naive)]
    )
    assert str(df["created_at"].dtype) == "datetime64[ns, UTC]"
    assert pd.isna(df["created_at"][0])
    assert df["created_at"][1] == pd.Timestamp(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert df["environment"].isna().all()


def test_to_pandas_of_nothing() -> None:
    assert frames.to_pandas([]).shape == (0, 0)
    _check_projects(frames.to_pandas([], model=do.Project), 0)
    empty = frames.to_pandas(do.Page(items=(), total=0), model=do.Resource)
    assert list(empty.columns) == RESOURCE_COLUMNS
    assert str(empty["assigned_at"].dtype) == "datetime64[ns, UTC]"


async def test_to_polars_from_each_kind_of_input(
    demo: tuple[FakeDigitalOcean, do.Client],
) -> None:
    _, client = demo
    page = await client.projects.list(per_page=10)
    for df in (frames.to_polars(page), frames.to_polars(tuple(page))):
        assert df.columns == PROJECT_COLUMNS
        assert df.height == 10
        assert df.schema["created_at"] == pl.Datetime("us", "UTC")
        assert df.schema["environment"] == pl.String
        assert df.schema["owner_id"] == pl.Int64
    every = await frames.to_polars(client.projects.iter_all(per_page=9))
    assert every.height == 31
    assert every["created_at"][1].tzinfo is not None
    empty = frames.to_polars([], model=do.Resource)
    assert empty.columns == RESOURCE_COLUMNS
    assert empty.schema["assigned_at"] == pl.Datetime("us", "UTC")
    assert frames.to_polars([]).shape == (0, 0)


def test_frames_refuse_what_is_not_one_kind_of_model() -> None:
    with pytest.raises(do.ValidationError, match="models"):
        frames.to_pandas([1, 2])
    with pytest.raises(do.ValidationError, match="every item must be a Project"):
        frames.to_polars([do.Project(id="a", name="b"), do.Resource("do:droplet:1")])
