"""Arguments are checked before anything is sent."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import aiodo_projects as do
from aiodo_projects._validation import (
    check_page,
    check_project_fields,
    check_project_id,
    check_urns,
)

UUID = "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679"


@pytest.mark.parametrize("value", [UUID, UUID.upper(), "default", uuid.UUID(UUID)])
def test_check_project_id_accepts_uuids_and_default(value: object) -> None:
    assert check_project_id(value).lower() in {UUID, "default"}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "../droplets",
        f"{UUID}/resources",
        f"{UUID}?x=1",
        "Default",
        " default",
        5,
        None,
        "x" * 36,
    ],
)
def test_check_project_id_rejects_anything_else(value: object) -> None:
    with pytest.raises(do.ValidationError, match="project_id"):
        check_project_id(value)


@pytest.mark.parametrize(
    ("page", "per_page", "ok"),
    [
        (1, 1, True),
        (1, 200, True),
        (99, 20, True),
        (0, 20, False),
        (-1, 20, False),
        (1, 0, False),
        (1, 201, False),
        (1.0, 20, False),
        (1, "20", False),
        (True, 20, False),
    ],
)
def test_check_page_ranges(page: object, per_page: object, ok: bool) -> None:
    if ok:
        check_page(page, per_page)
    else:
        with pytest.raises(do.ValidationError):
            check_page(page, per_page)


@pytest.mark.parametrize(
    "urns",
    [
        ["do:droplet:123"],
        ["do:domain:example.com", "do:floatingip:192.168.99.100"],
        ("do:space:my-website-assets",),
        ["do:kubernetes:bd5f5959-5e1e-4205-a714-a914373942af"],
    ],
)
def test_check_urns_accepts_do_type_id(urns: Any) -> None:
    assert check_urns(urns) == list(urns)


@pytest.mark.parametrize(
    "urns",
    [
        "do:droplet:1",
        [],
        ["droplet:1"],
        ["do:droplet:"],
        ["do::1"],
        ["do:droplet:1 2"],
        [1],
        None,
        ["do:Droplet:1"],
    ],
)
def test_check_urns_rejects_malformed(urns: object) -> None:
    with pytest.raises(do.ValidationError):
        check_urns(urns)


VALID = {
    "name": "web",
    "description": "",
    "purpose": "Web Application",
    "environment": "Production",
    "is_default": False,
}


def test_check_project_fields_returns_json_values() -> None:
    body = check_project_fields({**VALID, "environment": do.Environment.STAGING})
    assert body == {**VALID, "environment": "Staging"}
    assert type(body["environment"]) is str


def test_check_project_fields_drops_none() -> None:
    assert check_project_fields({"name": "a", "description": None}) == {"name": "a"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 176}, "name"),
        ({"name": 5}, "name"),
        ({"description": "x" * 256}, "description"),
        ({"purpose": "x" * 256}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"environment": "production"}, "environment"),
        ({"environment": 1}, "environment"),
        ({"is_default": "yes"}, "is_default"),
        ({"is_default": 1}, "is_default"),
        ({"colour": "red"}, "unknown"),
    ],
)
def test_check_project_fields_rejects(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(do.ValidationError, match=message):
        check_project_fields(fields)


def test_check_project_fields_limits_are_inclusive() -> None:
    check_project_fields({"name": "x" * 175, "description": "d" * 255, "purpose": "p" * 255})


def test_check_project_fields_required() -> None:
    with pytest.raises(do.ValidationError, match="environment, is_default"):
        check_project_fields({"name": "a", "description": "", "purpose": "p"}, required=VALID)
