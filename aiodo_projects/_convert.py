"""The one private cattrs converter: response bodies (bytes) in, frozen models out (pure).

``converter.structure(body, Page[Project])`` decodes a body straight from its bytes with
msgspec's typed JSON decoder, one decoder per response type, built once. Projects are filled
in without a dict in between (msgspec makes the attrs instances itself); resources pass
through a small wire type, since their ``links.self`` key is not an attribute name.

Decoding is strict about types (a string where a bool belongs is an error, not ``True``) and
tolerant about change: unknown keys are ignored, and an environment or status DigitalOcean
adds later is kept as a plain ``str``. msgspec decodes environments straight into
:class:`Environment`; a body it refuses is decoded once more with the environment as any
``str`` (:class:`_AnyEnvironment`), so a name added later costs a second decode of that page
and nothing otherwise. Every datetime comes out aware, in UTC. Every failure is a
:class:`DecodeError` that names where in the body it is, such as
``Expected `bool`, got `str` - at `$.projects[3].is_default```.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import attrs
import cattrs
import msgspec

from aiodo_projects.errors import DecodeError
from aiodo_projects.models import (
    Environment,
    Page,
    PageLinks,
    Project,
    Resource,
    ResourceLinks,
    ResourceStatus,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["converter", "snippet"]

W = TypeVar("W")
T = TypeVar("T")
P = TypeVar("P", bound=Project)

_SNIPPET_CHARS = 120
_PATH_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
_ENVIRONMENTS: dict[str, Environment | str] = {member.value: member for member in Environment}
_STATUSES: dict[str, ResourceStatus | str] = {member.value: member for member in ResourceStatus}
_NO_PAGE_LINKS = PageLinks()
_NO_RESOURCE_LINKS = ResourceLinks()
_PROJECT_FIELDS = tuple(field.name for field in attrs.fields(Project))
_set = object.__setattr__  # how attrs itself fills a frozen instance


def snippet(value: object) -> str:
    """Return a short, single-line excerpt of a body for an error message."""
    if isinstance(value, bytes):
        text = value[: _SNIPPET_CHARS * 4].decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=repr)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    text = " ".join(text[: _SNIPPET_CHARS * 2].split())
    return text[:_SNIPPET_CHARS]


# -- wire types: the JSON shapes around the models --------------------------------------------


class _Meta(msgspec.Struct):
    total: Annotated[int, msgspec.Meta(ge=0)]


class _Links(msgspec.Struct):
    pages: PageLinks | None = None


@attrs.frozen(repr=False)
class _AnyEnvironment(Project):
    """A project as msgspec decodes it when an environment is not an Environment's name.

    Only the second decode of a body the first refused makes these; each becomes a
    :class:`Project` at once (:func:`_known_projects`).
    """

    environment: str | None = None


class _ProjectList(msgspec.Struct, Generic[P]):
    projects: tuple[P, ...]
    meta: _Meta
    links: _Links | None = None


class _OneProject(msgspec.Struct, Generic[P]):
    project: P


class _ResourceLinks(msgspec.Struct):
    self_: str | None = msgspec.field(default=None, name="self")


class _Resource(msgspec.Struct):
    urn: str
    assigned_at: datetime | None = None
    links: _ResourceLinks | None = None
    status: str | None = None


class _ResourceList(msgspec.Struct):
    resources: tuple[_Resource, ...]
    meta: _Meta
    links: _Links | None = None


class _Assigned(msgspec.Struct):
    resources: tuple[_Resource, ...]


# -- from wire to models ------------------------------------------------------------------------


def _utc(value: datetime, path: str) -> datetime:
    """Return ``value`` in UTC; a naive time is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 has no UTC datetime
        raise msgspec.ValidationError(f"Datetime out of range in UTC - at `{path}`") from None


def _known_projects(projects: tuple[P, ...]) -> tuple[Project, ...]:
    """Return ``projects`` as Projects, each environment an Environment where it names one."""
    if not projects or type(projects[0]) is Project:
        return projects
    made = []
    for project in projects:
        fields = {name: getattr(project, name) for name in _PROJECT_FIELDS}
        environment = project.environment
        if environment is not None:
            fields["environment"] = _ENVIRONMENTS.get(environment, environment)
        made.append(Project(**fields))
    return tuple(made)


def _settle_projects(projects: tuple[P, ...], path: str) -> tuple[Project, ...]:
    """Return the decoded ``projects`` as Projects with every datetime in UTC.

    ``path.format(index)`` names a project in an error. Only the values that need it are
    touched, in the fresh instances: ``Z`` times already come with ``datetime.UTC``.
    """
    settled = _known_projects(projects)
    for index, project in enumerate(settled):
        created = project.created_at
        if created is not None and created.tzinfo is not UTC:
            _set(project, "created_at", _utc(created, f"{path.format(index)}.created_at"))
        updated = project.updated_at
        if updated is not None and updated.tzinfo is not UTC:
            _set(project, "updated_at", _utc(updated, f"{path.format(index)}.updated_at"))
    return settled


def _resources(items: Sequence[_Resource], path: str) -> tuple[Resource, ...]:
    made = []
    for index, item in enumerate(items):
        assigned_at = item.assigned_at
        if assigned_at is not None and assigned_at.tzinfo is not UTC:
            assigned_at = _utc(assigned_at, f"{path}[{index}].assigned_at")
        links = item.links
        status = item.status
        made.append(
            Resource(
                urn=item.urn,
                assigned_at=assigned_at,
                links=_NO_RESOURCE_LINKS if links is None else ResourceLinks(self_=links.self_),
                status=None if status is None else _STATUSES.get(status, status),
            )
        )
    return tuple(made)


def _page_links(links: _Links | None) -> PageLinks:
    if links is None or links.pages is None:
        return _NO_PAGE_LINKS
    return links.pages


def _one_project(body: _OneProject[P]) -> Project:
    return _settle_projects((body.project,), "$.project")[0]


def _project_page(body: _ProjectList[P]) -> Page[Project]:
    projects = _settle_projects(body.projects, "$.projects[{}]")
    return Page(items=projects, total=body.meta.total, links=_page_links(body.links))


def _resource_page(body: _ResourceList) -> Page[Resource]:
    items = _resources(body.resources, "$.resources")
    return Page(items=items, total=body.meta.total, links=_page_links(body.links))


def _assigned(body: _Assigned) -> list[Resource]:
    return list(_resources(body.resources, "$.resources"))


# -- the converter ------------------------------------------------------------------------------


@attrs.frozen
class _Response(Generic[W, T]):
    """How one kind of answer decodes: its wire type's decoder, then the models from it."""

    what: str
    decoder: msgspec.json.Decoder[W]
    build: Callable[[W], T]
    retry: msgspec.json.Decoder[W] | None = None
    """The decoder for a body ``decoder`` refuses: any ``str`` as an environment."""

    def structure(self, body: object, _: object = None) -> T:
        """Decode ``body`` (bytes); the signature is that of a cattrs structure hook."""
        if not isinstance(body, bytes | bytearray | memoryview | str):
            raise DecodeError(f"expected {self.what} as a JSON body, got {type(body).__name__}")
        try:
            return self.build(self._decode(body))
        except msgspec.DecodeError as exc:  # ValidationError too: JSON of the wrong shape
            raise DecodeError(
                f"expected {self.what}: {exc}", snippet=_snippet_at(body, str(exc))
            ) from exc
        except RecursionError as exc:
            raise DecodeError(
                f"expected {self.what}: the JSON is nested too deeply", snippet=snippet(body)
            ) from exc

    def _decode(self, body: bytes | bytearray | memoryview | str) -> W:
        try:
            return self.decoder.decode(body)
        except msgspec.ValidationError:
            if self.retry is None:
                raise
            # Perhaps an environment DigitalOcean added after this release: decode once more,
            # and a body wrong in any other way fails the same way again.
            return self.retry.decode(body)


def _response(
    what: str, wire: type[W], build: Callable[[W], T], retry: type[W] | None = None
) -> _Response[W, T]:
    return _Response(
        what,
        msgspec.json.Decoder(wire),
        build,
        None if retry is None else msgspec.json.Decoder(retry),
    )


_RESPONSES: dict[Any, _Response[Any, Any]] = {
    Project: _response(
        "a project", _OneProject[Project], _one_project, _OneProject[_AnyEnvironment]
    ),
    Page[Project]: _response(
        "a page of projects",
        _ProjectList[Project],
        _project_page,
        _ProjectList[_AnyEnvironment],
    ),
    Page[Resource]: _response("a page of resources", _ResourceList, _resource_page),
    list[Resource]: _response("the assigned resources", _Assigned, _assigned),
}


def _snippet_at(body: bytes | bytearray | memoryview | str, message: str) -> str:
    """Return a snippet of the JSON object holding the error at the end of ``message``.

    A page holds 200 projects: the object the path names (``$.projects[3]``) says more than
    the first characters of the body. Without a path (the body is not JSON), the body's start.
    """
    raw = bytes(body) if isinstance(body, bytearray | memoryview) else body
    _, at, path = message.rpartition(" - at `$")
    if not at:
        return snippet(raw)
    try:
        value: Any = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return snippet(raw)
    holder = value
    for match in _PATH_STEP.finditer(path.rstrip("`")):
        key, index = match.groups()
        try:
            value = value[key] if key is not None else value[int(index)]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(value, dict):
            holder = value
    return snippet(holder)


def make_converter() -> cattrs.Converter:
    """Build the converter: a structure hook per response type, each from raw body bytes."""
    converter = cattrs.Converter(detailed_validation=False)
    converter.register_structure_hook_factory(
        _RESPONSES.__contains__, lambda tp: _RESPONSES[tp].structure
    )
    return converter


converter = make_converter()
