"""Generated structure functions: fast path, careful path and adoption all keep the contract."""

from __future__ import annotations

import copy
import inspect
import json
import pickle
import sys
import types
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import aiodo_projects as do
from aiodo_projects import _convert
from aiodo_projects._convert import _converter, decode_page, decode_resources, decode_single
from aiodo_projects._structure import make_structurers
from tests.test_decoding import SPEC_PROJECT, SPEC_RESOURCE

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

# Each case: a project JSON object, and the Project it must become, whichever path is taken.
PROJECT_CASES: list[tuple[str, dict[str, Any], do.Project]] = [
    (
        "the spec's example",
        SPEC_PROJECT,
        SPEC_MODEL,
    ),
    ("only the required keys", {"id": "a", "name": "b"}, do.Project(id="a", name="b")),
    (
        "nulls where the model allows them",
        {**SPEC_PROJECT, "environment": None, "created_at": None, "updated_at": None},
        attrs.evolve(SPEC_MODEL, environment=None, created_at=None, updated_at=None),
    ),
    (
        "unknown keys and an unknown environment",
        {**SPEC_PROJECT, "environment": "Canary", "tags": ["x"]},
        attrs.evolve(SPEC_MODEL, environment="Canary"),
    ),
    (
        "an offset and a naive time",
        {
            **SPEC_PROJECT,
            "created_at": "2018-09-27T22:10:35+02:00",
            "updated_at": "2018-09-27T20:10:35",
        },
        SPEC_MODEL,
    ),
]
IDS = [case[0] for case in PROJECT_CASES]


@pytest.mark.parametrize(("case", "item", "expected"), PROJECT_CASES, ids=IDS)
def test_structure_project_matches_the_contract_on_every_path(
    case: str, item: dict[str, Any], expected: do.Project
) -> None:
    del case
    single = decode_single({"project": copy.deepcopy(item)}, "project", do.Project)
    copied = decode_page(
        {"projects": [copy.deepcopy(item)], "meta": {"total": 1}}, "projects", do.Project
    )
    owned = decode_page(
        {"projects": [copy.deepcopy(item)], "meta": {"total": 1}},
        "projects",
        do.Project,
        owned=True,
    )
    for project in (single, copied.items[0], owned.items[0]):
        assert project == expected
        assert vars(project) == attrs.asdict(expected, recurse=False)
        if project.created_at is not None:
            assert project.created_at.tzinfo is UTC


WRONG = [
    ("id", 1),
    ("name", None),
    ("owner_uuid", None),
    ("owner_id", True),
    ("owner_id", "258992"),
    ("description", 5),
    ("purpose", ["x"]),
    ("environment", 3),
    ("is_default", "false"),
    ("is_default", 0),
    ("created_at", 1538079035),
    ("updated_at", "yesterday"),
]


@pytest.mark.parametrize(("key", "value"), WRONG, ids=[f"{k}={v!r}" for k, v in WRONG])
@pytest.mark.parametrize("owned", [False, True])
def test_structure_project_wrong_type_is_a_decode_error_naming_the_item(
    key: str, value: object, owned: bool
) -> None:
    good = copy.deepcopy(SPEC_PROJECT)
    bad = {**SPEC_PROJECT, key: value}
    body = {"projects": [good, copy.deepcopy(bad)], "meta": {"total": 2}}
    with pytest.raises(do.DecodeError, match="item 1 of 'projects'") as info:
        decode_page(body, "projects", do.Project, owned=owned)
    assert info.value.snippet == _convert.snippet(bad)
    with pytest.raises(do.DecodeError):
        decode_single({"project": bad}, "project", do.Project)


@pytest.mark.parametrize("missing", ["id", "name"])
def test_structure_project_missing_required_key_is_a_decode_error(missing: str) -> None:
    item = {k: v for k, v in SPEC_PROJECT.items() if k != missing}
    for owned in (False, True):
        with pytest.raises(do.DecodeError):
            decode_page(
                {"projects": [item], "meta": {"total": 1}}, "projects", do.Project, owned=owned
            )


@pytest.mark.parametrize("item", [None, [], "project", 5, ["id", "name"]])
def test_structure_non_object_item_is_a_decode_error(item: object) -> None:
    for owned in (False, True):
        with pytest.raises(do.DecodeError, match="item 0"):
            decode_page(
                {"projects": [item], "meta": {"total": 1}}, "projects", do.Project, owned=owned
            )


def test_decode_page_without_owned_leaves_the_body_as_it_was() -> None:
    body: dict[str, Any] = {"projects": [copy.deepcopy(SPEC_PROJECT)] * 3, "meta": {"total": 3}}
    before = json.dumps(body)
    decode_page(body, "projects", do.Project)
    decode_single({"project": body["projects"][0]}, "project", do.Project)
    assert json.dumps(body) == before


def test_decode_page_owned_adopts_exact_objects_and_copies_others() -> None:
    exact = copy.deepcopy(SPEC_PROJECT)
    extra = {**SPEC_PROJECT, "tags": []}
    page = decode_page(
        {"projects": [exact, extra], "meta": {"total": 2}}, "projects", do.Project, owned=True
    )
    first, second = page.items
    assert vars(first) is exact  # no second dict for the common case
    assert "tags" not in vars(second)
    assert first == second


def test_structured_resources_on_every_path() -> None:
    expected = do.Resource(
        urn="do:droplet:13457723",
        assigned_at=datetime(2018, 9, 28, 19, 26, 37, tzinfo=UTC),
        links=do.ResourceLinks(self_="https://api.digitalocean.com/v2/droplets/13457723"),
        status=do.ResourceStatus.OK,
    )
    body = {"resources": [copy.deepcopy(SPEC_RESOURCE)], "meta": {"total": 1}}
    assert decode_page(body, "resources", do.Resource, owned=True).items == (expected,)
    assert decode_resources({"resources": [SPEC_RESOURCE]}) == (expected,)
    sparse = decode_resources({"resources": [{"urn": "do:space:x", "links": {}}]})[0]
    assert sparse == do.Resource(urn="do:space:x")
    links: object
    for links in ([], "x", {"self": 5}):
        with pytest.raises(do.DecodeError):
            decode_resources({"resources": [{"urn": "do:space:x", "links": links}]})


def test_models_stay_frozen_hashable_and_picklable() -> None:
    page = decode_page(
        {"projects": [copy.deepcopy(SPEC_PROJECT)], "meta": {"total": 1}},
        "projects",
        do.Project,
        owned=True,
    )
    project = page.items[0]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        project.name = "other"  # type: ignore[misc]
    assert hash(project) == hash(attrs.evolve(project))
    assert pickle.loads(pickle.dumps(project)) == project  # noqa: S301 -- our own bytes
    assert attrs.evolve(project, name="x").name == "x"


def test_generated_source_is_visible_to_inspect() -> None:
    hook = _converter.get_structure_hook(do.Project)
    assert "def structure_Project" in inspect.getsource(hook)


@attrs.frozen
class _Odd:
    """A model using what the project's models do not: kw_only, a factory, a list, a check."""

    when: datetime
    tags: list[int] = attrs.field(factory=list)
    size: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    label: str | None = attrs.field(default=None, kw_only=True)


def test_make_structurers_handles_any_attrs_model() -> None:
    structurers = make_structurers(_Odd, _converter.get_structure_hook)
    assert structurers.adopt is None  # slotted and validated: made through __init__
    one = structurers.one
    when = "2020-01-02T03:04:05Z"
    at = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert one({"when": when, "tags": [1, 2], "size": 3, "label": "x"}, _Odd) == _Odd(
        at, [1, 2], 3, label="x"
    )
    assert one({"when": when}, _Odd) == _Odd(at)
    assert one({"when": when, "tags": [], "size": 0, "label": None}, _Odd) == _Odd(at, [], 0)
    with pytest.raises(ValueError, match="size"):
        one({"when": when, "size": -1}, _Odd)
    with pytest.raises(TypeError, match="label"):
        one({"when": when, "label": 5}, _Odd)
    with pytest.raises(TypeError, match="when"):
        one({"when": None}, _Odd)


@attrs.frozen
class _Empty:
    """A model without fields."""


def test_make_structurers_handles_a_model_without_fields() -> None:
    assert make_structurers(_Empty, _converter.get_structure_hook).one({"x": 1}, _Empty) == _Empty()


def test_loads_uses_orjson_when_installed_and_json_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in = types.ModuleType("orjson")
    stand_in.loads = json.loads  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "orjson", stand_in)
    assert _convert._pick_loads() == (json.loads, "orjson")
    monkeypatch.setitem(sys.modules, "orjson", None)  # what an install without the extra sees
    assert _convert._pick_loads() == (json.loads, "json")
    assert _convert.JSON_LIBRARY in {"json", "orjson"}


def _twin(text: str) -> str:
    """An equal string that is a different object (as a parser's key would be)."""
    twin = "".join(list(text))
    assert twin == text
    assert twin is not text
    return twin


def test_parsed_key_is_the_parsers_own_key_object(monkeypatch: pytest.MonkeyPatch) -> None:
    made: dict[str, str] = {}

    def parse(raw: bytes) -> dict[str, int]:
        (key,) = json.loads(raw)
        made[key] = _twin(key)
        return {made[key]: 0}

    monkeypatch.setattr(_convert, "loads", parse)
    monkeypatch.setattr(_convert, "JSON_LIBRARY", "orjson")
    assert _convert._parsed_key("created_at") is made["created_at"]
    monkeypatch.setattr(_convert, "JSON_LIBRARY", "json")
    name = "created_at"
    assert _convert._parsed_key(name) is name  # json makes new keys per document


def test_adopt_with_key_objects_stores_into_the_same_keys() -> None:
    twins: dict[str, str] = {}
    structurers = make_structurers(
        do.Project,
        _converter.get_structure_hook,
        key_object=lambda key: twins.setdefault(key, _twin(key)),
    )
    assert structurers.adopt is not None
    parsed = {twins.get(key, key): value for key, value in SPEC_PROJECT.items()}
    plain = copy.deepcopy(SPEC_PROJECT)  # keys equal to, but not, the twins
    made = structurers.adopt([parsed, plain], [])
    assert made == [SPEC_MODEL, SPEC_MODEL]
    assert vars(made[0]) is parsed
    assert vars(made[1]) is plain
    assert len(parsed) == len(plain) == len(attrs.fields(do.Project))  # no key stored twice
    assert sorted(twins) == sorted(field.name for field in attrs.fields(do.Project))


def test_key_object_is_asked_for_the_json_keys_after_renames() -> None:
    asked: list[str] = []

    def key_object(key: str) -> str:
        asked.append(key)
        return key

    make_structurers(
        do.ResourceLinks,
        _converter.get_structure_hook,
        renames={"self_": "self"},
        key_object=key_object,
    )
    assert asked == ["self"]


HOOK_CASES = [
    (str, "x", "x"),
    (int, 3, 3),
    (bool, True, True),
    (datetime, "2018-09-27T20:10:35Z", T0),
    (do.Environment | str | None, "Staging", do.Environment.STAGING),
    (do.Environment | str | None, None, None),
    (do.ResourceStatus | str | None, "moved", "moved"),
]


@pytest.mark.parametrize(("tp", "value", "expected"), HOOK_CASES)
def test_converter_hooks_keep_their_contract_for_direct_use(
    tp: Any, value: object, expected: object
) -> None:
    assert _converter.structure(value, tp) == expected


@pytest.mark.parametrize(
    ("tp", "value"),
    [(str, 1), (int, True), (bool, 1), (datetime, 5), (do.Environment | str | None, 5)],
)
def test_converter_hooks_refuse_wrong_types(tp: Any, value: object) -> None:
    with pytest.raises(TypeError, match="expected"):
        _converter.structure(value, tp)
