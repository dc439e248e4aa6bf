"""Every operation end to end against the loopback fake API."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do

if TYPE_CHECKING:
    from aiodo_projects.testing import FakeDigitalOcean

MISSING = "00000000-0000-4000-8000-000000000000"


async def test_create_sends_only_given_fields_and_returns_the_project(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    project = await client.projects.create(name="web", purpose="Web Application")
    assert project.name == "web"
    assert project.purpose == "Web Application"
    assert uuid.UUID(project.id)
    assert project.created_at is not None
    assert project.created_at.utcoffset() is not None
    sent = fake.requests[-1]
    assert (sent.method, sent.path, sent.status) == ("POST", "/v2/projects", 201)
    assert sent.json == {"name": "web", "purpose": "Web Application"}
    assert project.id in fake.projects


async def test_create_with_every_field(client: do.Client, fake: FakeDigitalOcean) -> None:
    project = await client.projects.create(
        name="api",
        purpose="Service or API",
        description="the API",
        environment=do.Environment.STAGING,
    )
    assert project.environment is do.Environment.STAGING
    assert project.description == "the API"
    assert fake.requests[-1].json == {
        "name": "api",
        "purpose": "Service or API",
        "description": "the API",
        "environment": "Staging",
    }


async def test_create_with_resources_assigns_them(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    project = await client.projects.create(
        name="with-things", purpose="IoT", resources=["do:droplet:1", "do:volume:abc"]
    )
    assert [r["urn"] for r in fake.resources_of(project.id)] == ["do:droplet:1", "do:volume:abc"]
    assert [r.operation for r in fake.requests[-2:]] == [
        "projects_create",
        "projects_assign_resources",
    ]


async def test_create_with_resources_whose_assignment_fails_says_the_project_exists(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    fake.script("projects_assign_resources", 403)
    with pytest.raises(do.PermissionDeniedError) as info:
        await client.projects.create(name="half", purpose="IoT", resources=["do:droplet:9"])
    created = [p for p in fake.projects.values() if p["name"] == "half"]
    assert len(created) == 1
    assert any(created[0]["id"] in note for note in info.value.__notes__)


async def test_create_duplicate_name_is_a_conflict(client: do.Client) -> None:
    await client.projects.create(name="dup", purpose="IoT")
    with pytest.raises(do.ConflictError):
        await client.projects.create(name="dup", purpose="IoT")


async def test_get_and_get_default(client: do.Client, fake: FakeDigitalOcean) -> None:
    created = await client.projects.create(name="g", purpose="IoT")
    assert await client.projects.get(created.id) == created
    assert await client.projects.get(uuid.UUID(created.id)) == created
    default = await client.projects.get_default()
    assert default.is_default
    assert default.id == fake.default_project_id
    assert fake.requests[-1].path == "/v2/projects/default"


async def test_get_unknown_project_is_not_found(client: do.Client) -> None:
    with pytest.raises(do.NotFoundError) as info:
        await client.projects.get(MISSING)
    error = info.value
    assert error.status == 404
    assert error.error_id == "not_found"
    assert error.message
    assert error.request_id
    assert error.rate_limit is not None
    assert str(error).startswith("404 not_found: ")
    assert f"(request_id={error.request_id})" in str(error)


async def test_update_puts_all_five_fields(client: do.Client, fake: FakeDigitalOcean) -> None:
    created = await client.projects.create(name="u", purpose="IoT")
    updated = await client.projects.update(
        created.id,
        name="u2",
        description="d",
        purpose="Website or blog",
        environment="Production",
        is_default=False,
    )
    assert (updated.name, updated.description, updated.environment) == (
        "u2",
        "d",
        do.Environment.PRODUCTION,
    )
    sent = fake.requests[-1]
    assert sent.method == "PUT"
    assert sent.json == {
        "name": "u2",
        "description": "d",
        "purpose": "Website or blog",
        "environment": "Production",
        "is_default": False,
    }


async def test_update_missing_a_field_sends_nothing(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    before = fake.received()
    with pytest.raises(do.ValidationError, match="is_default"):
        await client.projects.update(
            fake.default_project_id, name="x", description="", purpose="IoT", environment="Staging"
        )
    assert fake.received() == before


async def test_patch_sends_only_given_fields(client: do.Client, fake: FakeDigitalOcean) -> None:
    created = await client.projects.create(name="p", purpose="IoT", description="old")
    patched = await client.projects.patch(created.id, description="new")
    assert patched.description == "new"
    assert patched.name == "p"
    assert fake.requests[-1].method == "PATCH"
    assert fake.requests[-1].json == {"description": "new"}


async def test_patch_with_nothing_sends_nothing(client: do.Client, fake: FakeDigitalOcean) -> None:
    before = fake.received()
    with pytest.raises(do.ValidationError, match="at least one"):
        await client.projects.patch(fake.default_project_id)
    with pytest.raises(do.ValidationError, match="at least one"):
        await client.projects.patch_default()
    assert fake.received() == before


async def test_default_project_update_and_patch(client: do.Client, fake: FakeDigitalOcean) -> None:
    patched = await client.projects.patch_default(description="home")
    assert patched.description == "home"
    assert fake.requests[-1].path == "/v2/projects/default"
    updated = await client.projects.update_default(
        name="Default",
        description="all of it",
        purpose="IoT",
        environment=do.Environment.DEVELOPMENT,
        is_default=True,
    )
    assert updated.id == fake.default_project_id
    assert updated.description == "all of it"
    assert fake.requests[-1].method == "PUT"


async def test_delete_returns_none_and_removes(client: do.Client, fake: FakeDigitalOcean) -> None:
    created = await client.projects.create(name="gone", purpose="IoT")
    result = await client.projects.delete(created.id)  # type: ignore[func-returns-value]
    assert result is None
    assert created.id not in fake.projects
    assert fake.requests[-1].status == 204
    with pytest.raises(do.NotFoundError):
        await client.projects.get(created.id)


async def test_delete_project_with_resources_is_precondition_failed(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    created = await client.projects.create(name="full", purpose="IoT", resources=["do:droplet:5"])
    with pytest.raises(do.PreconditionFailedError) as info:
        await client.projects.delete(created.id)
    assert info.value.status == 412
    assert created.id in fake.projects


async def test_every_request_sends_auth_json_and_user_agent(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    created = await client.projects.create(name="h", purpose="IoT")
    await client.projects.get(created.id)
    await client.projects.delete(created.id)
    for request in fake.requests:
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == f"aiodo-projects/{do.__version__}"
        assert request.headers["Authorization"] == f"Bearer {fake.token}"


async def test_resources_list_assign_and_move(client: do.Client) -> None:
    a = await client.projects.create(name="a", purpose="IoT")
    b = await client.projects.create(name="b", purpose="IoT")
    assigned = await client.projects.assign_resources(
        a.id, ["do:droplet:1", "do:domain:example.com"]
    )
    assert isinstance(assigned, list)
    assert [r.urn for r in assigned] == ["do:droplet:1", "do:domain:example.com"]
    assert all(r.status is do.ResourceStatus.ASSIGNED for r in assigned)
    page = await client.projects.list_resources(a.id)
    assert page.total == 2
    assert {r.urn for r in page.items} == {"do:droplet:1", "do:domain:example.com"}
    moved = await client.projects.assign_resources(b.id, ["do:droplet:1"])
    assert moved[0].urn == "do:droplet:1"
    assert [r.urn async for r in client.projects.iter_resources(a.id)] == ["do:domain:example.com"]
    assert [r.urn async for r in client.projects.iter_resources(b.id)] == ["do:droplet:1"]


async def test_default_project_resources(client: do.Client, fake: FakeDigitalOcean) -> None:
    assigned = await client.projects.assign_default_resources(["do:volume:v1"])
    assert assigned[0].urn == "do:volume:v1"
    page = await client.projects.list_default_resources(per_page=5)
    assert [r.urn for r in page] == ["do:volume:v1"]
    assert [r.urn async for r in client.projects.iter_default_resources()] == ["do:volume:v1"]
    assert fake.requests[-1].path == "/v2/projects/default/resources"
    assert [r["urn"] for r in fake.resources_of(fake.default_project_id)] == ["do:volume:v1"]


async def test_wrong_token_is_authentication_error(fake: FakeDigitalOcean) -> None:
    async with do.Client(token="dop_v1_wrong", base_url=fake.base_url) as wrong:
        with pytest.raises(do.AuthenticationError) as info:
            await wrong.projects.get_default()
    assert info.value.status == 401
    assert "dop_v1_wrong" not in str(info.value)
    assert "dop_v1_wrong" not in repr(info.value)


async def test_rate_limit_is_tracked_from_every_response(client: do.Client) -> None:
    assert client.rate_limit is None
    await client.projects.get_default()
    first = client.rate_limit
    assert first is not None
    assert first.limit > 0
    assert first.reset.utcoffset() is not None
    with pytest.raises(do.NotFoundError) as info:
        await client.projects.get(MISSING)
    assert client.rate_limit is not None
    assert client.rate_limit.remaining < first.remaining
    assert info.value.rate_limit == client.rate_limit


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("get", ("../droplets",)),
        ("delete", ("not-a-uuid",)),
        ("list_resources", ("x/y",)),
        ("assign_resources", ("default", ["droplet:1"])),
        ("assign_resources", ("default", [])),
    ],
)
async def test_invalid_arguments_send_nothing(
    client: do.Client, fake: FakeDigitalOcean, call: str, args: tuple[object, ...]
) -> None:
    before = fake.received()
    with pytest.raises(do.ValidationError):
        await getattr(client.projects, call)(*args)
    assert fake.received() == before


async def test_invalid_create_sends_nothing(client: do.Client, fake: FakeDigitalOcean) -> None:
    before = fake.received()
    with pytest.raises(do.ValidationError):
        await client.projects.create(name="", purpose="IoT")
    with pytest.raises(do.ValidationError):
        await client.projects.create(name="ok", purpose="IoT", environment="prod")
    with pytest.raises(do.ValidationError):
        await client.projects.create(name="ok", purpose="IoT", resources=["nope"])
    with pytest.raises(do.ValidationError):
        await client.projects.list(per_page=201)
    with pytest.raises(do.ValidationError):
        client.projects.iter_all(per_page=0)
    assert fake.received() == before


async def test_server_side_validation_is_unprocessable(
    client: do.Client, fake: FakeDigitalOcean
) -> None:
    fake.script("projects_create", 422)
    with pytest.raises(do.UnprocessableEntityError) as info:
        await client.projects.create(name="x", purpose="IoT")
    assert info.value.error_id == "unprocessable_entity"
