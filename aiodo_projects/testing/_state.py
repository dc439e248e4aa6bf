"""The fake's in-memory state: projects, their resources, and the validation of writes.

Nothing here knows about HTTP: operations take parsed JSON and raise `ApiError` with
the status and message DigitalOcean would answer. Every write is all or nothing: it is
checked and encoded in full before any state changes, so what is stored can always be
answered.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from aiodo_projects.testing._wire import ApiError, dumps, timestamp

if TYPE_CHECKING:
    from collections.abc import Callable

# The purposes DigitalOcean knows; any other value is stored as "Other: <value>".
PURPOSES: Final = (
    "Just trying out DigitalOcean",
    "Class project / Educational purposes",
    "Website or blog",
    "Web Application",
    "Service or API",
    "Mobile Application",
    "Machine learning / AI / Data processing",
    "IoT",
    "Operational / Developer tooling",
)
ENVIRONMENTS: Final = ("Development", "Staging", "Production")
FIELDS: Final = ("name", "description", "purpose", "environment", "is_default")
_MAX_LENGTH: Final = {"name": 175, "description": 255, "purpose": 255}
_URN: Final = re.compile(r"do:([a-z][a-z0-9_]*):(\S+)")
# The API path of each resource type, for a resource's `links.self`.
_RESOURCE_PATHS: Final = {
    "app": "apps",
    "dbaas": "databases",
    "domain": "domains",
    "droplet": "droplets",
    "floatingip": "floating_ips",
    "kubernetes": "kubernetes/clusters",
    "loadbalancer": "load_balancers",
    "reservedip": "reserved_ips",
    "space": "spaces",
    "volume": "volumes",
    "vpc": "vpcs",
}
DELETE_NONEMPTY: Final = (
    "cannot delete a project with resources. move or remove the resources first"
)


def normalize_purpose(value: str) -> str:
    """Store a purpose DigitalOcean does not list as ``Other: <value>``."""
    if value in PURPOSES or value.startswith("Other: "):
        return value
    return f"Other: {value}"


def check_text(what: str, value: str) -> None:
    """Raise a 422 for text with no UTF-8 form (a lone surrogate, which JSON can escape)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ApiError(422, f"{what} must be valid UTF-8 text, not a lone surrogate") from None


def check_urn(urn: object) -> tuple[str, str]:
    """Return a URN's type and id, or raise a 422 if it is not ``do:<type>:<id>``."""
    match = _URN.fullmatch(urn) if isinstance(urn, str) else None
    if match is None:
        raise ApiError(422, f"invalid resource urn {urn!r}: expected do:<type>:<id>")
    check_text("a resource urn", match[0])
    return match[1], match[2]


def check_fields(body: object, *, required: tuple[str, ...]) -> dict[str, Any]:
    """Validate a project body and return its known fields; unknown keys are ignored."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    fields = {key: body[key] for key in FIELDS if key in body}
    missing = [key for key in required if key not in fields]
    if missing:
        raise ApiError(422, f"missing required field(s): {', '.join(missing)}")
    for key, value in fields.items():
        if key == "is_default":
            if not isinstance(value, bool):
                raise ApiError(422, "is_default must be a boolean")
            continue
        if not isinstance(value, str):
            raise ApiError(422, f"{key} must be a string")
        check_text(key, value)
        if key == "environment" and value not in ENVIRONMENTS:
            raise ApiError(422, f"environment must be one of {', '.join(ENVIRONMENTS)}")
        if key in _MAX_LENGTH and len(value) > _MAX_LENGTH[key]:
            raise ApiError(422, f"{key} must be at most {_MAX_LENGTH[key]} characters")
        if key in {"name", "purpose"} and not value:
            raise ApiError(422, f"{key} must not be empty")
    return fields


def encode(value: dict[str, Any], what: str) -> bytes:
    """Encode a project or resource about to be stored; a 422 if it has no UTF-8 form."""
    try:
        return dumps(value)
    except UnicodeEncodeError:
        raise ApiError(422, f"the {what} must be valid UTF-8 text") from None


def resource_json(urn: str, assigned_at: str, status: str) -> dict[str, Any]:
    """Return a resource as the API shows it."""
    kind, ident = check_urn(urn)
    path = _RESOURCE_PATHS.get(kind, kind + "s")
    link = f"https://api.digitalocean.com/v2/{path}/{quote(ident, safe='.-_~:@')}"
    return {"urn": urn, "assigned_at": assigned_at, "links": {"self": link}, "status": status}


class Store:
    """Projects in listing order, each with its resources; the default project exists."""

    def __init__(self, *, clock: Callable[[], float], owner_uuid: str, owner_id: int) -> None:
        self._clock = clock
        self._owner = {"owner_uuid": owner_uuid, "owner_id": owner_id}
        self.projects: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []  # ids in listing order, so a page is a slice
        self._fragments: dict[str, bytes] = {}  # id -> the project's encoded JSON, cached
        self._names: dict[str, str] = {}  # name -> id, names being unique
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}  # id -> urn -> resource
        self._owners: dict[str, str] = {}  # urn -> id of the project holding it
        self.default_id = ""
        default = self.insert(
            name="Default",
            description="Default project",
            purpose="Just trying out DigitalOcean",
            environment="Development",
            is_default=True,
        )
        self.default_id = default["id"]

    def now(self) -> str:
        """Return the current time in the API's format."""
        return timestamp(self._clock())

    def insert(
        self,
        *,
        name: str,
        purpose: str,
        description: str = "",
        environment: str | None = None,
        is_default: bool = False,
        created_at: str | None = None,
        updated_at: str | None = None,
        project_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a project (callers validated its fields); return its JSON."""
        if name in self._names:
            raise ApiError(409, f"a project named {name!r} already exists")
        pid = str(uuid.uuid4()) if project_id is None else project_id
        if pid in self.projects:
            raise ValueError(f"a project with id {pid} already exists")
        created = self.now() if created_at is None else created_at
        project: dict[str, Any] = {"id": pid, **self._owner, "name": name}
        project["description"] = description
        project["purpose"] = normalize_purpose(purpose)
        # A project created without an environment has none: the key is left out.
        if environment is not None:
            project["environment"] = environment
        project["is_default"] = False
        project["created_at"] = created
        project["updated_at"] = created if updated_at is None else updated_at
        fragment = encode(project, "project")
        self.projects[pid] = project
        self._fragments[pid] = fragment
        self._order.append(pid)
        self._names[name] = pid
        self.resources[pid] = {}
        if is_default:
            self._make_default(pid)
        return project

    def has_name(self, name: str) -> bool:
        """Whether a project has this name."""
        return name in self._names

    def resolve(self, ref: str) -> str:
        """Return the id a path names (``default`` is the default project), or raise 404."""
        pid = self.default_id if ref == "default" else ref
        if pid not in self.projects:
            raise ApiError(404)
        return pid

    def fragment(self, pid: str) -> bytes:
        """Return a project's encoded JSON, encoding it once until it changes."""
        cached = self._fragments.get(pid)
        if cached is None:
            cached = self._fragments[pid] = dumps(self.projects[pid])
        return cached

    def page(self, offset: int, limit: int) -> list[bytes]:
        """Return the encoded projects of one page: O(page), not O(all projects)."""
        return [self.fragment(pid) for pid in self._order[offset : offset + limit]]

    def create(self, body: object) -> dict[str, Any]:
        """POST /v2/projects: validate and add a project (``is_default`` is not settable)."""
        fields = check_fields(body, required=("name", "purpose"))
        return self.insert(
            name=fields["name"],
            purpose=fields["purpose"],
            description=fields.get("description", ""),
            environment=fields.get("environment"),
        )

    def update(self, ref: str, body: object, *, partial: bool) -> dict[str, Any]:
        """PUT (every field required) or PATCH (at least one field) a project."""
        pid = self.resolve(ref)
        fields = check_fields(body, required=() if partial else FIELDS)
        if not fields:
            raise ApiError(422, f"at least one of {', '.join(FIELDS)} is required")
        project = self.projects[pid]
        name = fields.get("name", project["name"])
        if self._names.get(name, pid) != pid:
            raise ApiError(409, f"a project named {name!r} already exists")
        changed = {**project, "name": name, "updated_at": self.now()}
        for key in ("description", "environment"):
            if key in fields:
                changed[key] = fields[key]
        if "purpose" in fields:
            changed["purpose"] = normalize_purpose(fields["purpose"])
        fragment = encode(changed, "project")
        del self._names[project["name"]]
        self._names[name] = pid
        project.update(changed)
        self._fragments[pid] = fragment
        # is_default=false on the default project is ignored: there is always a default.
        if fields.get("is_default") is True:
            self._make_default(pid)
        return project

    def delete(self, ref: str) -> None:
        """DELETE a project: refused (412) for the default project or one with resources."""
        pid = self.resolve(ref)
        if pid == self.default_id:
            raise ApiError(412, "cannot delete the default project")
        if self.resources[pid]:
            raise ApiError(412, DELETE_NONEMPTY)
        project = self.projects.pop(pid)
        del self._names[project["name"]]
        del self.resources[pid]
        self._fragments.pop(pid, None)
        self._order.remove(pid)

    def assign(self, ref: str, body: object) -> list[dict[str, Any]]:
        """POST resources: move each URN here; answer each with assigned/already_assigned."""
        pid = self.resolve(ref)
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        urns = body.get("resources")
        if not isinstance(urns, list):
            raise ApiError(422, "resources must be a list of URNs")
        assigned_at = self.now()
        # Every URN is checked and its resource encoded before the first one moves.
        moving: dict[str, dict[str, Any]] = {}
        for urn in urns:
            check_urn(urn)
            if self._owners.get(urn) != pid and urn not in moving:
                moving[urn] = self._resource(urn, "ok", assigned_at)
        answer = []
        for urn in urns:
            resource = moving.pop(urn, None)
            if resource is None:
                answer.append({**self.resources[pid][urn], "status": "already_assigned"})
            else:
                self._move(pid, resource)
                answer.append({**resource, "status": "assigned"})
        return answer

    def add_resource(
        self, ref: str, urn: str, *, status: str, assigned_at: str | None
    ) -> dict[str, Any]:
        """Put a resource in a project, moving it out of any other; return its JSON."""
        pid = self.resolve(ref)
        resource = self._resource(urn, status, self.now() if assigned_at is None else assigned_at)
        self._move(pid, resource)
        return resource

    def _resource(self, urn: str, status: str, assigned_at: str) -> dict[str, Any]:
        resource = resource_json(urn, assigned_at, status)
        encode(resource, "resource")
        return resource

    def _move(self, pid: str, resource: dict[str, Any]) -> None:
        urn = resource["urn"]
        previous = self._owners.get(urn)
        if previous is not None:
            del self.resources[previous][urn]
        self.resources[pid][urn] = resource
        self._owners[urn] = pid

    def _make_default(self, pid: str) -> None:
        previous = self.default_id
        if previous and previous != pid:
            self.projects[previous]["is_default"] = False
            self._fragments.pop(previous, None)
        self.projects[pid]["is_default"] = True
        self._fragments.pop(pid, None)
        self.default_id = pid
