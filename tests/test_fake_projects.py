from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import aiohttp
import pytest

from aiodo_projects.testing import FakeDigitalOcean
from tests.fake_http import TOKEN, send

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
NOT_FOUND = {"id": "not_found", "message": "The resource you requested could not be found."}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDigitalOcean]:
    async with FakeDigitalOcean(token=TOKEN) as running:
        yield running


async def test_fake_default_project_exists(fake: FakeDigitalOcean) -> None:
    answer = await send(fake, "GET", "/v2/projects/default")
    assert answer.status == 200
    project = answer.json["project"]
    assert project["id"] == fake.default_project_id
    assert project["is_default"] is True
    assert project["name"] == "Default"
    assert fake.received("projects_get_default") == 1


async def test_fake_create_answers_201_with_the_project(fake: FakeDigitalOcean) -> None:
    answer = await send(fake, "POST", "/v2/projects", json={"name": "web", "purpose": "IoT"})
    assert answer.status == 201
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    project = answer.json["project"]
    assert uuid.UUID(project["id"]).version == 4
    assert list(project) == [
        "id", "owner_uuid", "owner_id", "name", "description", "purpose", "is_default",
        "created_at", "updated_at",
    ]  # fmt: skip
    assert project["description"] == ""
    assert project["is_default"] is False
    assert TIME.fullmatch(project["created_at"])
    assert project["updated_at"] == project["created_at"]
    assert fake.projects[project["id"]] == project
    assert fake.processed_writes("projects_create") == 1


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Web Application", "Web Application"),
        ("my own thing", "Other: my own thing"),
        ("Other: already", "Other: already"),
    ],
)
async def test_fake_create_stores_unknown_purposes_as_other(
    fake: FakeDigitalOcean, given: str, stored: str
) -> None:
    body = {"name": "p", "purpose": given, "environment": "Staging", "description": "d"}
    project = (await send(fake, "POST", "/v2/projects", json=body)).json["project"]
    assert project["purpose"] == stored
    assert project["environment"] == "Staging"
    assert project["description"] == "d"


async def test_fake_create_ignores_is_default_and_unknown_keys(fake: FakeDigitalOcean) -> None:
    body = {"name": "p", "purpose": "IoT", "is_default": True, "colour": "blue", "id": "x"}
    project = (await send(fake, "POST", "/v2/projects", json=body)).json["project"]
    assert project["is_default"] is False
    assert project["id"] != "x"
    assert "colour" not in project


async def test_fake_create_refuses_a_duplicate_name(fake: FakeDigitalOcean) -> None:
    fake.add_project(name="web")
    answer = await send(fake, "POST", "/v2/projects", json={"name": "web", "purpose": "IoT"})
    assert answer.status == 409
    assert answer.json["id"] == "conflict"
    assert answer.json["request_id"] == answer.headers["x-request-id"]
    assert fake.processed_writes() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "IoT"},
        {"name": "web"},
        {"name": "", "purpose": "IoT"},
        {"name": "x" * 176, "purpose": "IoT"},
        {"name": "web", "purpose": ""},
        {"name": "web", "purpose": "p" * 256},
        {"name": "web", "purpose": "IoT", "description": "d" * 256},
        {"name": "web", "purpose": "IoT", "environment": "prod"},
        {"name": 5, "purpose": "IoT"},
        {"name": "web", "purpose": None},
    ],
)
async def test_fake_create_validation_is_422(fake: FakeDigitalOcean, body: object) -> None:
    answer = await send(fake, "POST", "/v2/projects", json=body)
    assert answer.status == 422
    assert answer.json["id"] == "unprocessable_entity"
    assert answer.json["message"]
    assert len(fake.projects) == 1


async def test_fake_create_accepts_the_longest_values(fake: FakeDigitalOcean) -> None:
    body = {"name": "x" * 175, "purpose": "p" * 255, "description": "d" * 255}
    assert (await send(fake, "POST", "/v2/projects", json=body)).status == 201


@pytest.mark.parametrize("body", [None, "", "{not json", "[1, 2]", "   "])
async def test_fake_write_without_a_json_object_is_400(
    fake: FakeDigitalOcean, body: str | None
) -> None:
    answer = await send(fake, "POST", "/v2/projects", body=body)
    assert answer.status == 400
    assert answer.json["id"] == "bad_request"


async def test_fake_get_a_project(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="api", environment=None)
    answer = await send(fake, "GET", f"/v2/projects/{project['id']}")
    assert answer.json == {"project": project}
    assert "environment" not in project


@pytest.mark.parametrize("ref", [str(uuid.uuid4()), "not-a-uuid", "..%2Fdroplets"])
async def test_fake_unknown_project_is_404(fake: FakeDigitalOcean, ref: str) -> None:
    answer = await send(fake, "GET", f"/v2/projects/{ref}")
    assert answer.status == 404
    assert {k: answer.json[k] for k in ("id", "message")} == NOT_FOUND


async def test_fake_put_replaces_every_field(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="api")
    body = {
        "name": "api2", "description": "new", "purpose": "custom",
        "environment": "Development", "is_default": False,
    }  # fmt: skip
    answer = await send(fake, "PUT", f"/v2/projects/{project['id']}", json=body)
    assert answer.status == 200
    updated = answer.json["project"]
    assert (updated["name"], updated["description"]) == ("api2", "new")
    assert (updated["purpose"], updated["environment"]) == ("Other: custom", "Development")
    assert updated["created_at"] == project["created_at"]
    listed = (await send(fake, "GET", "/v2/projects")).json["projects"]
    assert listed[1]["name"] == "api2"
    assert fake.processed_writes("projects_update") == 1


@pytest.mark.parametrize("missing", ["name", "description", "purpose", "environment", "is_default"])
async def test_fake_put_needs_all_five_fields(fake: FakeDigitalOcean, missing: str) -> None:
    project = fake.add_project(name="api")
    body = {
        "name": "api", "description": "", "purpose": "IoT",
        "environment": "Staging", "is_default": False,
    }  # fmt: skip
    del body[missing]
    answer = await send(fake, "PUT", f"/v2/projects/{project['id']}", json=body)
    assert answer.status == 422
    assert missing in answer.json["message"]


async def test_fake_is_default_moves_the_default(fake: FakeDigitalOcean) -> None:
    old = fake.default_project_id
    project = fake.add_project(name="api")
    answer = await send(fake, "PATCH", f"/v2/projects/{project['id']}", json={"is_default": True})
    assert answer.json["project"]["is_default"] is True
    assert fake.default_project_id == project["id"]
    assert fake.projects[old]["is_default"] is False
    default = await send(fake, "GET", "/v2/projects/default")
    assert default.json["project"]["id"] == project["id"]
    listed = (await send(fake, "GET", "/v2/projects")).json["projects"]
    assert [p["is_default"] for p in listed] == [False, True]


async def test_fake_is_default_false_on_the_default_is_ignored(fake: FakeDigitalOcean) -> None:
    answer = await send(fake, "PATCH", "/v2/projects/default", json={"is_default": False})
    assert answer.status == 200
    assert answer.json["project"]["is_default"] is True


async def test_fake_default_routes_update_the_default(fake: FakeDigitalOcean) -> None:
    body = {
        "name": "Main", "description": "d", "purpose": "IoT",
        "environment": "Production", "is_default": True,
    }  # fmt: skip
    put = await send(fake, "PUT", "/v2/projects/default", json=body)
    assert put.json["project"]["name"] == "Main"
    patch = await send(fake, "PATCH", "/v2/projects/default", json={"description": "x"})
    assert patch.json["project"]["description"] == "x"
    assert patch.json["project"]["id"] == fake.default_project_id
    assert fake.processed_writes("projects_update_default") == 1
    assert fake.processed_writes("projects_patch_default") == 1


@pytest.mark.parametrize("body", [{}, {"colour": "red"}, {"is_default": "yes"}])
async def test_fake_patch_needs_one_valid_field(fake: FakeDigitalOcean, body: object) -> None:
    answer = await send(fake, "PATCH", "/v2/projects/default", json=body)
    assert answer.status == 422


async def test_fake_patch_to_a_taken_name_is_409(fake: FakeDigitalOcean) -> None:
    fake.add_project(name="a")
    b = fake.add_project(name="b")
    answer = await send(fake, "PATCH", f"/v2/projects/{b['id']}", json={"name": "a"})
    assert answer.status == 409
    same = await send(fake, "PATCH", f"/v2/projects/{b['id']}", json={"name": "b"})
    assert same.status == 200


async def test_fake_delete_answers_204_without_a_body(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="gone")
    answer = await send(fake, "DELETE", f"/v2/projects/{project['id']}")
    assert answer.status == 204
    assert answer.raw == b""
    assert "Content-Type" not in answer.headers
    assert project["id"] not in fake.projects
    assert (await send(fake, "GET", f"/v2/projects/{project['id']}")).status == 404
    assert (await send(fake, "DELETE", f"/v2/projects/{project['id']}")).status == 404
    assert fake.processed_writes("projects_delete") == 1
    fake.add_project(name="gone")  # the name is free again


async def test_fake_delete_with_resources_is_412(fake: FakeDigitalOcean) -> None:
    project = fake.add_project(name="busy")
    fake.add_resource(project["id"], "do:droplet:1")
    answer = await send(fake, "DELETE", f"/v2/projects/{project['id']}")
    assert answer.status == 412
    assert answer.json["id"] == "precondition_failed"
    assert answer.json["message"] == (
        "cannot delete a project with resources. move or remove the resources first"
    )
    assert fake.processed_writes() == 0


@pytest.mark.parametrize("ref", ["default", "DEFAULT_ID"])
async def test_fake_delete_of_the_default_is_refused(fake: FakeDigitalOcean, ref: str) -> None:
    ref = fake.default_project_id if ref == "DEFAULT_ID" else ref
    answer = await send(fake, "DELETE", f"/v2/projects/{ref}")
    assert answer.status == 412
    assert fake.requests[-1].operation == "projects_delete"


@pytest.mark.parametrize(
    ("headers", "token"),
    [({}, None), ({}, "wrong"), ({"Authorization": "Basic dGVzdC10b2tlbg=="}, None)],
)
async def test_fake_bad_credentials_are_401(
    fake: FakeDigitalOcean, headers: dict[str, str], token: str | None
) -> None:
    answer = await send(fake, "GET", "/v2/projects", headers=headers, token=token)
    assert answer.status == 401
    assert answer.json["id"] == "unauthorized"
    assert answer.json["message"] == "Unable to authenticate you."
    assert answer.headers["ratelimit-remaining"] == "5000"


async def test_fake_accepts_several_tokens() -> None:
    async with FakeDigitalOcean(tokens=["a", "b"]) as fake:
        assert fake.token == "a"
        assert (await send(fake, "GET", "/v2/projects", token="a")).status == 200
        assert (await send(fake, "GET", "/v2/projects", token="b")).status == 200
        assert (await send(fake, "GET", "/v2/projects", token=TOKEN)).status == 401


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v2/droplets", 404),
        ("GET", "/v2/projectsx", 404),
        ("GET", "/v2/projects/", 404),
        ("GET", "/v2/projects/a/b/c", 404),
        ("DELETE", "/v2/projects", 405),
        ("POST", "/v2/projects/default", 405),
        ("PUT", "/v2/projects/default/resources", 405),
    ],
)
async def test_fake_unknown_routes(
    fake: FakeDigitalOcean, method: str, path: str, status: int
) -> None:
    answer = await send(fake, method, path)
    assert answer.status == status
    assert fake.requests[-1].operation is None


async def test_fake_every_answer_has_the_common_headers(fake: FakeDigitalOcean) -> None:
    answer = await send(fake, "GET", "/v2/projects")
    for name in ("Date", "x-request-id", "ratelimit-limit", "ratelimit-remaining"):
        assert answer.headers[name]
    assert int(answer.headers["ratelimit-reset"]) > 0


@pytest.mark.parametrize("content_type", ["", "text/plain"])
async def test_fake_delete_without_json_content_type_is_415(
    fake: FakeDigitalOcean, content_type: str
) -> None:
    project = fake.add_project(name="kept")
    headers = {"Content-Type": content_type} if content_type else {}
    async with (
        aiohttp.ClientSession() as session,
        session.delete(
            f"{fake.base_url}/v2/projects/{project['id']}",
            headers={"Authorization": f"Bearer {TOKEN}", **headers},
        ) as response,
    ):
        assert response.status == 415
        assert (await response.json())["id"] == "unsupported_media_type"
    assert project["id"] in fake.projects
