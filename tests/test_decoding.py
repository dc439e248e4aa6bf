"""The converter: DigitalOcean's shapes decode from bytes; anything else is a DecodeError."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

import aiodo_projects as do
from aiodo_projects._convert import converter, snippet

T = TypeVar("T")

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


def decode(body: object, tp: type[T]) -> T:
    """Decode ``body`` as the API would send it: JSON bytes."""
    return converter.structure(json.dumps(body).encode(), tp)


def decode_single(body: object) -> do.Project:
    return decode(body, do.Project)


def decode_resources(body: object) -> list[do.Resource]:
    return decode(body, list[do.Resource])


def test_decode_single_spec_project() -> None:
    project = decode_single({"project": SPEC_PROJECT})
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
    project = decode_single(body)
    assert project.created_at == datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)
    assert project.created_at is not None
    assert project.created_at.utcoffset() is not None


def test_decode_project_naive_time_is_taken_as_utc() -> None:
    body = {"project": {**SPEC_PROJECT, "updated_at": "2018-09-27T20:10:35"}}
    project = decode_single(body)
    assert project.updated_at == datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)


def test_decode_ignores_unknown_fields_and_keeps_unknown_values() -> None:
    body = {"project": {**SPEC_PROJECT, "environment": "Canary", "tags": ["x"], "extra": {"a": 1}}}
    project = decode_single(body)
    assert project.environment == "Canary"
    assert not isinstance(project.environment, do.Environment)
    resource = decode_resources({"resources": [{**SPEC_RESOURCE, "status": "migrating", "x": 1}]})[
        0
    ]
    assert resource.status == "migrating"
    assert not isinstance(resource.status, do.ResourceStatus)


def test_decode_page_with_an_environment_added_later_keeps_every_project_a_project() -> None:
    known = {**SPEC_PROJECT, "id": "a", "environment": "Staging"}
    later = {
        **SPEC_PROJECT,
        "id": "b",
        "environment": "Canary",
        "created_at": "2018-09-27T22:10:35+02:00",
    }
    plain = {**SPEC_PROJECT, "id": "c", "environment": None, "updated_at": "2018-09-27T20:10:35"}
    page = decode({"projects": [known, later, plain], "meta": {"total": 3}}, do.Page[do.Project])
    assert [type(project) for project in page] == [do.Project] * 3
    assert [project.environment for project in page] == [do.Environment.STAGING, "Canary", None]
    assert page.items[0].environment is do.Environment.STAGING
    assert type(page.items[1].environment) is str
    assert page.items[1].created_at == datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)
    assert page.items[2].updated_at == datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)
    assert [project.created_at.tzinfo for project in page] == [UTC] * 3  # type: ignore[union-attr]
    assert repr(page.items[1]).startswith("Project(")
    assert page.items[1].to_dict()["environment"] == "Canary"


def test_decode_page_with_an_environment_of_the_wrong_type_names_it() -> None:
    body = {"projects": [SPEC_PROJECT, {**SPEC_PROJECT, "environment": 3}], "meta": {"total": 2}}
    with pytest.raises(
        do.DecodeError,
        match=r"Expected `str \| null`, got `int` - at `\$\.projects\[1\]\.environment`",
    ):
        decode(body, do.Page[do.Project])


def test_decode_resource_from_spec_sample() -> None:
    resource = decode_resources({"resources": [SPEC_RESOURCE]})[0]
    assert resource.urn == "do:droplet:13457723"
    assert resource.type == "droplet"
    assert resource.status is do.ResourceStatus.OK
    assert resource.links.self_ == "https://api.digitalocean.com/v2/droplets/13457723"
    assert resource.assigned_at == datetime(2018, 9, 28, 19, 26, 37, tzinfo=UTC)
    assert resource.to_dict() == SPEC_RESOURCE


def test_project_to_dict_round_trips_the_api_shape() -> None:
    project = decode_single({"project": SPEC_PROJECT})
    assert project.to_dict() == SPEC_PROJECT


def test_decode_page_reads_items_total_and_links() -> None:
    body = {
        "projects": [SPEC_PROJECT],
        "links": {"pages": {"first": "https://h/v2/projects?page=1", "prev": "https://h/p1"}},
        "meta": {"total": 7},
    }
    page = decode(body, do.Page[do.Project])
    assert len(page) == 1
    assert list(page) == list(page.items)
    assert page.total == 7
    assert page.links == do.PageLinks(first="https://h/v2/projects?page=1", prev="https://h/p1")


@pytest.mark.parametrize("links", [None, {}, {"pages": {}}])
def test_decode_page_without_links(links: object) -> None:
    body: dict[str, Any] = {"projects": [], "meta": {"total": 0}}
    if links is not None:
        body["links"] = links
    assert decode(body, do.Page[do.Project]).links == do.PageLinks()


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
        decode(body, do.Page[do.Project])
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
        decode_single(body)


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
        decode({"projects": [nested], "meta": {"total": 1}}, do.Page[do.Project])


def test_snippet_of_a_circular_value_falls_back_to_repr() -> None:
    circular: list[object] = []
    circular.append(circular)
    assert snippet(circular) == "[[...]]"


def test_decode_project_without_environment() -> None:
    project = decode_single({"project": {**SPEC_PROJECT, "environment": None}})
    assert project.environment is None
    assert project.to_dict()["environment"] is None


def test_decode_page_error_points_at_the_bad_item() -> None:
    bad = {**SPEC_PROJECT, "name": 7}
    body = {"projects": [SPEC_PROJECT, bad], "meta": {"total": 2}}
    with pytest.raises(do.DecodeError) as info:
        decode(body, do.Page[do.Project])
    assert "Expected `str`, got `int` - at `$.projects[1].name`" in str(info.value)
    assert info.value.snippet == snippet(bad)


@pytest.mark.parametrize("tp", [do.Project, do.Page[do.Project], do.Page[do.Resource]])
def test_decode_body_that_is_not_json_shows_its_start(tp: Any) -> None:
    with pytest.raises(do.DecodeError, match="JSON is malformed") as info:
        converter.structure(b"<html><body>Bad Gateway</body></html>", tp)
    assert info.value.snippet == "<html><body>Bad Gateway</body></html>"


@pytest.mark.parametrize("body", [None, {"project": SPEC_PROJECT}, 5])
def test_decode_refuses_what_is_not_a_body(body: object) -> None:
    with pytest.raises(do.DecodeError, match="as a JSON body, got"):
        converter.structure(body, do.Project)


def test_decode_accepts_every_bytes_like_body() -> None:
    raw = json.dumps({"project": SPEC_PROJECT})
    expected = decode_single({"project": SPEC_PROJECT})
    for body in (raw, raw.encode(), bytearray(raw.encode()), memoryview(raw.encode())):
        assert converter.structure(body, do.Project) == expected


def test_decode_nesting_past_the_decoders_depth_is_a_decode_error() -> None:
    # Under a key the model does not have: the decoder still walks it to skip it.
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"tags": ' + deep + b', "projects": [], "meta": {"total": 0}}'
    with pytest.raises(do.DecodeError, match="nested too deeply"):
        converter.structure(body, do.Page[do.Project])


EDGE_TIMES = ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"]


@pytest.mark.parametrize("when", EDGE_TIMES)
def test_decode_datetime_out_of_range_in_utc_is_a_decode_error(when: str) -> None:
    with pytest.raises(do.DecodeError, match=r"out of range in UTC - at `\$.project.updated_at`"):
        decode_single({"project": {**SPEC_PROJECT, "updated_at": when}})
    bad = {**SPEC_PROJECT, "created_at": when}
    page = {"projects": [SPEC_PROJECT, bad], "meta": {"total": 2}}
    with pytest.raises(do.DecodeError, match=r"`\$.projects\[1\].created_at`") as info:
        decode(page, do.Page[do.Project])
    assert info.value.snippet == snippet(bad)
    resources = {"resources": [{**SPEC_RESOURCE, "assigned_at": when}], "meta": {"total": 1}}
    for tp in (do.Page[do.Resource], list[do.Resource]):
        with pytest.raises(do.DecodeError, match=r"`\$.resources\[0\].assigned_at`"):
            decode(resources, tp)


def test_decode_datetimes_just_inside_the_range_keep_their_instant() -> None:
    body = {
        "project": {
            **SPEC_PROJECT,
            "created_at": "9999-12-31T23:59:59+01:00",
            "updated_at": "0001-01-01T00:00:00-01:00",
        }
    }
    project = decode_single(body)
    assert project.created_at == datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC)
    assert project.updated_at == datetime(1, 1, 1, 1, 0, 0, tzinfo=UTC)
