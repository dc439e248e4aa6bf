"""The typed decoder keeps the models' contract on every response type, and the models stay data."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import aiodo_projects as do
from aiodo_projects._convert import converter, snippet
from tests.test_decoding import SPEC_PROJECT, SPEC_RESOURCE, decode

T0 = datetime(2018, 9, 27, 20, 10, 35, tzinfo=UTC)
ID = "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679"
OWNER = "99525febec065ca37b2ffe4f852fd2b2581895e7"

SPEC_MODEL = do.Project(
    id=ID,
    owner_uuid=OWNER,
    owner_id=258992,
    name="my-web-api",
    description="My website API",
    purpose="Service or API",
    environment=do.Environment.PRODUCTION,
    created_at=T0,
    updated_at=T0,
)

# Each case: a project JSON object, and the Project it must become, whichever answer holds it.
PROJECT_CASES: list[tuple[str, dict[str, Any], do.Project]] = [
    ("the spec's example", SPEC_PROJECT, SPEC_MODEL),
    ("only the required keys", {"id": "a", "name": "b"}, do.Project(id="a", name="b")),
    (
        "nulls where the model allows them",
        {**SPEC_PROJECT, "environment": None, "created_at": None, "updated_at": None},
        attrs.evolve(SPEC_MODEL, environment=None, created_at=None, updated_at=None),
    ),
    (
        "unknown keys and an unknown environment",
        {**SPEC_PROJECT, "environment": "Canary", "tags": ["x"], "extra": {"a": [1]}},
        attrs.evolve(SPEC_MODEL, environment="Canary"),
    ),
    (
        "an offset, a naive time and fractions",
        {
            **SPEC_PROJECT,
            "created_at": "2018-09-27T22:10:35+02:00",
            "updated_at": "2018-09-27T20:10:35.000000",
        },
        SPEC_MODEL,
    ),
]
IDS = [case[0] for case in PROJECT_CASES]


def _projects(*items: object) -> dict[str, Any]:
    return {"projects": list(items), "meta": {"total": len(items)}}


@pytest.mark.parametrize(("case", "item", "expected"), PROJECT_CASES, ids=IDS)
def test_structure_project_matches_the_contract_on_every_path(
    case: str, item: dict[str, Any], expected: do.Project
) -> None:
    del case
    single = decode({"project": item}, do.Project)
    listed = decode(_projects(SPEC_PROJECT, item), do.Page[do.Project]).items[1]
    for project in (single, listed):
        assert project == expected
        assert attrs.asdict(project, recurse=False) == attrs.asdict(expected, recurse=False)
        assert type(project.environment) is type(expected.environment)
        for when in (project.created_at, project.updated_at):
            assert when is None or when.tzinfo is UTC


WRONG = [
    ("id", 1),
    ("name", None),
    ("owner_uuid", None),
    ("owner_id", True),
    ("owner_id", "258992"),
    ("owner_id", 1.5),
    ("description", 5),
    ("purpose", ["x"]),
    ("environment", 3),
    ("is_default", "false"),
    ("is_default", 0),
    ("created_at", 1538079035),
    ("updated_at", "yesterday"),
]


@pytest.mark.parametrize(("key", "value"), WRONG, ids=[f"{k}={v!r}" for k, v in WRONG])
def test_structure_project_wrong_type_is_a_decode_error_naming_the_field(
    key: str, value: object
) -> None:
    bad = {**SPEC_PROJECT, key: value}
    with pytest.raises(do.DecodeError, match=rf"at `\$\.projects\[1\]\.{key}`") as info:
        decode(_projects(SPEC_PROJECT, bad), do.Page[do.Project])
    assert info.value.snippet == snippet(bad)  # the bad project, not the page's first bytes
    with pytest.raises(do.DecodeError, match=rf"at `\$\.project\.{key}`"):
        decode({"project": bad}, do.Project)


@pytest.mark.parametrize("missing", ["id", "name"])
def test_structure_project_missing_required_key_is_a_decode_error(missing: str) -> None:
    item = {k: v for k, v in SPEC_PROJECT.items() if k != missing}
    with pytest.raises(do.DecodeError, match=rf"missing required field `{missing}`"):
        decode(_projects(item), do.Page[do.Project])


@pytest.mark.parametrize("item", [None, [], "project", 5, ["id", "name"]])
def test_structure_non_object_item_is_a_decode_error(item: object) -> None:
    with pytest.raises(do.DecodeError, match=r"at `\$\.projects\[0\]`"):
        decode(_projects(item), do.Page[do.Project])


def test_structure_error_snippet_falls_back_to_the_body_when_the_path_leads_nowhere() -> None:
    body = json.dumps(_projects("x")).encode()
    with pytest.raises(do.DecodeError) as info:
        converter.structure(body, do.Page[do.Project])
    assert info.value.snippet == snippet(body)  # no object on the path below the body's own
    assert info.value.snippet.startswith('{"projects": ["x"]')


def test_structured_resources_on_every_path() -> None:
    expected = do.Resource(
        urn="do:droplet:13457723",
        assigned_at=datetime(2018, 9, 28, 19, 26, 37, tzinfo=UTC),
        links=do.ResourceLinks(self_="https://api.digitalocean.com/v2/droplets/13457723"),
        status=do.ResourceStatus.OK,
    )
    body = {"resources": [SPEC_RESOURCE], "meta": {"total": 1}}
    assert decode(body, do.Page[do.Resource]).items == (expected,)
    assert decode({"resources": [SPEC_RESOURCE]}, list[do.Resource]) == [expected]
    links: object
    for links in ({}, None):
        sparse: dict[str, object] = {"urn": "do:space:x", "links": links}
        sparse["assigned_at"] = "2021-01-01T01:00:00+01:00"
        made = decode({"resources": [sparse]}, list[do.Resource])[0]
        assert made == do.Resource(urn="do:space:x", assigned_at=datetime(2021, 1, 1, tzinfo=UTC))
        assert made.assigned_at is not None
        assert made.assigned_at.tzinfo is UTC
    wrong: object
    for wrong in ([], "x", {"self": 5}):
        with pytest.raises(do.DecodeError, match=r"at `\$\.resources\[0\]\.links"):
            decode({"resources": [{"urn": "do:space:x", "links": wrong}]}, list[do.Resource])


def test_models_stay_frozen_slotted_hashable_and_picklable() -> None:
    project = decode(_projects(SPEC_PROJECT), do.Page[do.Project]).items[0]
    resource = decode({"resources": [SPEC_RESOURCE]}, list[do.Resource])[0]
    model: Any
    for model in (project, resource, resource.links):
        assert not hasattr(model, "__dict__")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            model.urn = "other"
        assert hash(model) == hash(attrs.evolve(model))
        assert pickle.loads(pickle.dumps(model)) == model  # noqa: S301 -- our own bytes
    assert attrs.evolve(project, name="x").name == "x"
    assert project.to_dict() == SPEC_PROJECT
    assert resource.to_dict() == SPEC_RESOURCE


def test_converter_builds_one_hook_per_response_type_and_keeps_it() -> None:
    types: list[Any] = [do.Project, do.Page[do.Project], do.Page[do.Resource], list[do.Resource]]
    hooks: list[Any] = [converter.get_structure_hook(tp) for tp in types]
    assert len({id(hook.__self__) for hook in hooks}) == len(types)
    assert [converter.get_structure_hook(tp) for tp in types] == hooks


def test_structure_error_before_the_body_turns_out_not_json_shows_the_bodys_start() -> None:
    # The typed decoder stops at the first wrong value, before it reaches the broken end.
    body = b'{"projects": [{"id": 5, "name": "x"}], "meta": {"total": 1}, oops'
    with pytest.raises(do.DecodeError, match=r"at `\$\.projects\[0\]\.id`") as info:
        converter.structure(body, do.Page[do.Project])
    assert info.value.snippet == snippet(body)


def test_structure_error_path_missing_from_the_parsed_body_shows_what_it_reached() -> None:
    # A repeated key: the typed decoder fails on the first, a plain parse keeps the last.
    body = b'{"projects": [{"id": 5, "name": "x"}], "projects": [], "meta": {"total": 1}}'
    with pytest.raises(do.DecodeError, match=r"at `\$\.projects\[0\]\.id`") as info:
        converter.structure(body, do.Page[do.Project])
    assert info.value.snippet == snippet({"projects": [], "meta": {"total": 1}})
