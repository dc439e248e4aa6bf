"""The data DigitalOcean returns, as frozen, slotted attrs classes whose fields are its JSON keys.

Models hold data only: no I/O, no token, no reference to the client. Decoding lives in the
private converter (``aiodo_projects._convert``), never here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import TypeAlias

__all__ = [
    "Environment",
    "Page",
    "PageLinks",
    "Project",
    "Resource",
    "ResourceLinks",
    "ResourceStatus",
]

T = TypeVar("T")


class Environment(StrEnum):
    """The environment of a project's resources."""

    DEVELOPMENT = "Development"
    STAGING = "Staging"
    PRODUCTION = "Production"


class ResourceStatus(StrEnum):
    """Whether a resource was retrieved or assigned without trouble."""

    OK = "ok"
    NOT_FOUND = "not_found"
    ASSIGNED = "assigned"
    ALREADY_ASSIGNED = "already_assigned"
    SERVICE_DOWN = "service_down"


if TYPE_CHECKING:
    _OpenEnvironment: TypeAlias = Environment | str
else:
    # The converter decodes projects straight into Project with msgspec, which reads its
    # annotations and refuses a union of an enum and ``str``. At run time the field is a plain
    # ``str`` to it, and the converter then maps the names it knows to Environment members.
    _OpenEnvironment = str


@attrs.frozen
class Project:
    """A DigitalOcean project.

    ``environment`` is an :class:`Environment`, a plain ``str`` for a value DigitalOcean added
    after this release, or ``None`` when the project has none. Datetimes are aware, in UTC.
    """

    id: str
    name: str
    owner_uuid: str = ""
    owner_id: int = 0
    description: str = ""
    purpose: str = ""
    environment: _OpenEnvironment | None = None
    is_default: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the project as a JSON-ready dict with the API's keys (datetimes as ISO 8601)."""
        return {
            "id": self.id,
            "owner_uuid": self.owner_uuid,
            "owner_id": self.owner_id,
            "name": self.name,
            "description": self.description,
            "purpose": self.purpose,
            "environment": None if self.environment is None else str(self.environment),
            "is_default": self.is_default,
            "created_at": _isoformat(self.created_at),
            "updated_at": _isoformat(self.updated_at),
        }


@attrs.frozen
class ResourceLinks:
    """A resource's links; ``self_`` is the JSON ``self`` key (a URL to fetch the resource)."""

    self_: str | None = None


@attrs.frozen
class Resource:
    """A resource assigned to a project, named by its URN (``do:<type>:<id>``).

    ``status`` is a :class:`ResourceStatus`, or a plain ``str`` for a value added later.
    """

    urn: str
    assigned_at: datetime | None = None
    links: ResourceLinks = ResourceLinks()
    status: ResourceStatus | str | None = None

    @property
    def type(self) -> str:
        """The resource type from the URN, such as ``droplet``."""
        return self.urn.split(":", 2)[1] if self.urn.count(":") >= 2 else ""  # noqa: PLR2004

    def to_dict(self) -> dict[str, object]:
        """Return the resource as a JSON-ready dict with the API's keys."""
        return {
            "urn": self.urn,
            "assigned_at": _isoformat(self.assigned_at),
            "links": {"self": self.links.self_},
            "status": None if self.status is None else str(self.status),
        }


@attrs.frozen
class PageLinks:
    """The absolute page links of a listing; a key DigitalOcean left out is ``None``."""

    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: its ``items``, ``meta.total`` and the page ``links``."""

    items: tuple[T, ...]
    total: int
    links: PageLinks = PageLinks()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _isoformat(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")
