"""Bodies that decode badly, through the client and the fake: always a DecodeError, never more."""

from __future__ import annotations

import json
from typing import Any

import pytest

import aiodo_projects as do
from aiodo_projects.testing import FakeDigitalOcean, ScriptedResponse
from tests.conftest import TOKEN
from tests.test_decoding import SPEC_PROJECT, SPEC_RESOURCE

# Valid RFC 3339, yet outside what a datetime holds once moved to UTC.
EDGE_TIMES = ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"]
PROJECT_ID = "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679"
BAD_ID = "0badbad0-dc3e-41f2-a18f-1b4d7ba71679"


def _raw(body: dict[str, Any]) -> ScriptedResponse:
    """The body as raw bytes, as a server would send it."""
    return ScriptedResponse(status=200, body=json.dumps(body).encode())


@pytest.mark.parametrize("when", EDGE_TIMES)
async def test_get_project_with_a_datetime_out_of_range_is_a_decode_error(
    fake: FakeDigitalOcean, client: do.Client, when: str
) -> None:
    fake.script("projects_get", _raw({"project": {**SPEC_PROJECT, "updated_at": when}}))
    with pytest.raises(do.DecodeError, match=r"`\$\.project\.updated_at`") as info:
        await client.projects.get(PROJECT_ID)
    assert info.value.attempts == 1
    assert info.value.rate_limit is not None
    assert fake.received("projects_get") == 1  # a GET is idempotent, but this is no glitch


@pytest.mark.parametrize("when", EDGE_TIMES)
async def test_listing_with_one_project_out_of_range_raises_instead_of_a_short_walk(
    fake: FakeDigitalOcean, client: do.Client, when: str
) -> None:
    fake.seed(projects=30)
    bad_page = {
        "projects": [SPEC_PROJECT, {**SPEC_PROJECT, "id": BAD_ID, "created_at": when}],
        "meta": {"total": 31},
        "links": {"pages": {"next": f"{fake.base_url}/v2/projects?page=3&per_page=10"}},
    }
    fake.script("projects_list", 200, _raw(bad_page))
    seen: list[str] = []
    with pytest.raises(do.DecodeError, match=r"`\$\.projects\[1\]\.created_at`") as info:
        async for project in client.projects.iter_all(per_page=10):
            seen.append(project.id)
    assert len(seen) == 10  # the first page, and nothing of the bad one
    assert info.value.snippet.startswith(f'{{"id": "{BAD_ID}"')  # the bad project itself
    assert fake.received("projects_list") == 2


@pytest.mark.parametrize("when", EDGE_TIMES)
async def test_assign_resources_with_a_datetime_out_of_range_is_ambiguous_from_a_decode_error(
    fake: FakeDigitalOcean, client: do.Client, when: str
) -> None:
    # Like every POST whose 2xx answer cannot be read: done, but with what result is unknown.
    answer = {"resources": [SPEC_RESOURCE, {**SPEC_RESOURCE, "assigned_at": when}]}
    fake.script("projects_assign_resources", _raw(answer))
    with pytest.raises(do.AmbiguousWriteError) as info:
        await client.projects.assign_resources(PROJECT_ID, ["do:droplet:13457723"])
    cause = info.value.__cause__
    assert isinstance(cause, do.DecodeError)
    assert "`$.resources[1].assigned_at`" in str(cause)
    assert info.value.attempts == cause.attempts == 1
    assert fake.received("projects_assign_resources") == 1


async def test_create_whose_answer_does_not_decode_is_ambiguous_and_reconciles(
    fake: FakeDigitalOcean,
) -> None:
    async with do.Client(token=TOKEN, base_url=fake.base_url) as api:
        made = await api.projects.create(name="made", purpose="IoT")
        # The server took the create, but its answer is unreadable: which project is unknown.
        fake.script("projects_create", _raw({"project": {"id": made.id, "name": 5}}))
        with pytest.raises(do.AmbiguousWriteError, match="may or may not") as info:
            await api.projects.create(name="made", purpose="IoT")
        assert isinstance(info.value.__cause__, do.DecodeError)
        assert info.value.attempts == 1
        fake.script("projects_create", _raw({"project": {"id": made.id, "name": 5}}))
        found = await api.projects.create(name="made", purpose="IoT", reconcile=True)
    assert found == made
    assert fake.received("projects_create") == 3


@pytest.mark.parametrize(
    "answer",
    [
        ScriptedResponse(status=201, body="<p>created</p>", content_type="text/html"),
        ScriptedResponse(status=201, body=b"", content_type="application/json"),
    ],
    ids=["html", "empty"],
)
async def test_create_answered_without_a_json_body_is_ambiguous(
    fake: FakeDigitalOcean, client: do.Client, answer: ScriptedResponse
) -> None:
    fake.script("projects_create", answer)
    with pytest.raises(do.AmbiguousWriteError) as info:
        await client.projects.create(name="made", purpose="IoT")
    assert isinstance(info.value.__cause__, do.DecodeError)
    assert fake.received("projects_create") == 1
