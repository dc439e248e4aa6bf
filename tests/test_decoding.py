"""The converter: DigitalOcean's shapes decode; anything else is a DecodeError."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import aiodo_projects as do
from aiodo_projects._convert import decode_page, decode_resources, decode_single, snippet

SPEC_PROJECT = {
    "id": "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679",
    "owner_uuid": "99525febec065ca37b2ffe4f852fd2b2581895e7",
    "owner_id": 258992,
    "name": "my-web-api",
    "description": "My website API",
    "purpose": "Service or API",
    "environment": "Production",
    "is_default": False,
    "created_at": "2018-09-27T20:10:35Z",
    "updated_at": "2018-09-27T20:10:35Z",
}
SPEC_RESOURCE = {
    "urn": "do:droplet:13457723",
    "assigned_at": "2018-09-28T19:26:37Z",
    "links": {"self": "https://api.digitalocean.com/v2/droplets/13457723"},
    "status": "ok",
}


def test_decode_single_spec_project() -> None:
    project = decode_single({"project": SPEC_PROJECT}, "project", do.Project)
    assert project == do.Project(
        id="4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679",
        owner_uuid="99525febec065ca37b2ffe4f852fd2b2581895e7",
        owner_id=258992,
        name="my-web-api",
        description="My website API",
        purpose="Service or API",
        environment=do.Environment.PRODUCTION,
        is_default=False,
        created_at=datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC),
        updated_at=datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC),
    )
    assert project.created_at is not None
    assert project.created_at.tzinfo is UTC


def test_decode_project_converts_offsets_to_utc() -> None:
    body = {"project": {**SPEC_PROJECT, "created_at": "2018-09-27T22:10:35+02:00"}}
    project = decode_single(body, "project", do.Project)
    assert project.created_at == datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)
    assert project.created_at is not None
    assert project.created_at.utcoffset() is not None


def test_decode_project_naive_time_is_taken_as_utc() -> None:
    body = {"project": {**SPEC_PROJECT, "updated_at": "2018-09-27T20:10:35"}}
    project = decode_single(body, "project", do.Project)
    assert project.updated_at == datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)


def test_decode_ignores_unknown_fields_and_keeps_unknown_values() -> None:
    body = {"project": {**SPEC_PROJECT, "environment": "Canary", "tags": ["x"], "extra": {"a": 1}}}
    project = decode_single(body, "project", do.Project)
    assert project.environment == "Canary"
    assert not isinstance(project.environment, do.Environment)
    resource = decode_resources({"resources": [{**SPEC_RESOURCE, "status": "migrating", "x": 1}]})[
        0
    ]
    assert resource.status == "migrating"
    assert not isinstance(resource.status, do.ResourceStatus)


def test_decode_resource_from_spec_sample() -> None:
    resource = decode_resources({"resources": [SPEC_RESOURCE]})[0]
    assert resource.urn == "do:droplet:13457723"
    assert resource.type == "droplet"
    assert resource.status is do.ResourceStatus.OK
    assert resource.links.self_ == "https://api.digitalocean.com/v2/droplets/13457723"
    assert resource.assigned_at == datetime(2018, 9, 28, 19, 26, 37, tzinfo=UTC)
    assert resource.to_dict() == SPEC_RESOURCE


def test_project_to_dict_round_trips_the_api_shape() -> None:
    project = decode_single({"project": SPEC_PROJECT}, "project", do.Project)
    assert project.to_dict() == SPEC_PROJECT


def test_decode_page_reads_items_total_and_links() -> None:
    body = {
        "projects": [SPEC_PROJECT],
        "links": {"pages": {"first": "https://h/v2/projects?page=1", "prev": "https://h/p1"}},
        "meta": {"total": 7},
    }
    page = decode_page(body, "projects", do.Project)
    assert len(page) == 1
    assert list(page) == list(page.items)
    assert page.total == 7
    assert page.links == do.PageLinks(first="https://h/v2/projects?page=1", prev="https://h/p1")


@pytest.mark.parametrize("links", [None, {}, {"pages": {}}])
def test_decode_page_without_links(links: object) -> None:
    body: dict[str, Any] = {"projects": [], "meta": {"total": 0}}
    if links is not None:
        body["links"] = links
    assert decode_page(body, "projects", do.Project).links == do.PageLinks()


MALFORMED_PAGES: list[tuple[str, object]] = [
    ("not an object", ["projects"]),
    ("null", None),
    ("missing items", {"meta": {"total": 0}}),
    ("items not a list", {"projects": {"id": "x"}, "meta": {"total": 1}}),
    ("item not an object", {"projects": ["x"], "meta": {"total": 1}}),
    ("item is a list", {"projects": [[]], "meta": {"total": 1}}),
    ("missing id", {"projects": [{"name": "n"}], "meta": {"total": 1}}),
    ("id of wrong type", {"projects": [{"id": 5, "name": "n"}], "meta": {"total": 1}}),
    (
        "bool as string",
        {"projects": [{**SPEC_PROJECT, "is_default": "false"}], "meta": {"total": 1}},
    ),
    ("owner_id as string", {"projects": [{**SPEC_PROJECT, "owner_id": "7"}], "meta": {"total": 1}}),
    (
        "bad datetime",
        {"projects": [{**SPEC_PROJECT, "created_at": "yesterday"}], "meta": {"total": 1}},
    ),
    (
        "datetime number",
        {"projects": [{**SPEC_PROJECT, "created_at": 1538079035}], "meta": {"total": 1}},
    ),
    (
        "environment number",
        {"projects": [{**SPEC_PROJECT, "environment": 3}], "meta": {"total": 1}},
    ),
    ("missing meta", {"projects": []}),
    ("meta.total missing", {"projects": [], "meta": {}}),
    ("meta.total string", {"projects": [], "meta": {"total": "1"}}),
    ("meta.total negative", {"projects": [], "meta": {"total": -1}}),
    ("meta.total bool", {"projects": [], "meta": {"total": True}}),
    ("links not an object", {"projects": [], "meta": {"total": 0}, "links": "next"}),
    ("pages not an object", {"projects": [], "meta": {"total": 0}, "links": {"pages": [1]}}),
    ("link not a string", {"projects": [], "meta": {"total": 0}, "links": {"pages": {"next": 2}}}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_PAGES, ids=[c for c, _ in MALFORMED_PAGES])
def test_decode_page_malformed_raises_decode_error(case: str, body: object) -> None:
    with pytest.raises(do.DecodeError) as info:
        decode_page(body, "projects", do.Project)
    assert case
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "project",
        {"projects": SPEC_PROJECT},
        {"project": None},
        {"project": [SPEC_PROJECT]},
    ],
)
def test_decode_single_malformed_raises_decode_error(body: object) -> None:
    with pytest.raises(do.DecodeError):
        decode_single(body, "project", do.Project)


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"resource": []},
        {"resources": None},
        {"resources": [{"status": "ok"}]},
        {"resources": [1]},
    ],
)
def test_decode_resources_malformed_raises_decode_error(body: object) -> None:
    with pytest.raises(do.DecodeError):
        decode_resources(body)


def test_snippet_is_short_and_single_line() -> None:
    text = snippet(b"<html>\n<body>" + b"x" * 1000)
    assert "\n" not in text
    assert text.startswith("<html> <body>")
    assert len(text) <= 120
    assert snippet({"a": 1}) == '{"a": 1}'
    assert snippet("plain") == "plain"
    assert "{1j}" in snippet({1j})
    assert len(snippet(b"\xff\xfe" * 200)) <= 120


def test_deeply_nested_body_is_a_decode_error_not_a_crash() -> None:
    nested: object = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(do.DecodeError):
        decode_page({"projects": [nested], "meta": {"total": 1}}, "projects", do.Project)


def test_snippet_of_a_circular_value_falls_back_to_repr() -> None:
    circular: list[object] = []
    circular.append(circular)
    assert snippet(circular) == "[[...]]"


def test_decode_project_without_environment() -> None:
    project = decode_single(
        {"project": {**SPEC_PROJECT, "environment": None}}, "project", do.Project
    )
    assert project.environment is None
    assert project.to_dict()["environment"] is None


def test_decode_page_error_points_at_the_bad_item() -> None:
    body = {"projects": [SPEC_PROJECT, {**SPEC_PROJECT, "name": 7}], "meta": {"total": 2}}
    with pytest.raises(do.DecodeError) as info:
        decode_page(body, "projects", do.Project)
    assert "item 1 of 'projects'" in str(info.value)
