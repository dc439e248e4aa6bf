"""The columns of projects and resources: doctl's names, table text and CSV values.

Tables use doctl's column headers (``ID``, ``Owner UUID``, ... ``Updated At``) and ``--format``
accepts them as doctl writes them (``ID,Name``, ``OwnerUUID``, ``IsDefault``) or with spaces or
the API's field names, in any case. CSV headers are the API's field names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Generic, TypeVar

import attrs

from aiodo_projects import Project, RateLimit, Resource, ValidationError

__all__ = [
    "PROJECT_COLUMNS",
    "PROJECT_TABLE_DEFAULT",
    "RATE_LIMIT_COLUMNS",
    "RESOURCE_COLUMNS",
    "RESOURCE_TABLE_DEFAULT",
    "Column",
    "choose_columns",
    "iso_time",
    "rate_limit_json",
    "readable_time",
]

T = TypeVar("T")


def readable_time(value: datetime | None) -> str:
    """Return a datetime as ``2024-05-01 12:34:56 UTC`` for people to read."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_time(value: datetime | None) -> str:
    """Return a datetime as the API writes it, ``2024-05-01T12:34:56Z`` (``""`` for none)."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _yes_no(value: bool) -> str:  # noqa: FBT001 - a formatter of one boolean
    return "yes" if value else "no"


def _text(value: object) -> str:
    return "" if value is None else str(value)


@attrs.frozen
class Column(Generic[T]):
    """One column: its doctl header, its API field name and how to show a value."""

    header: str
    field: str
    text: Callable[[T], str]  # for tables: readable
    raw: Callable[[T], str]  # for CSV: the API's form

    def matches(self, name: str) -> bool:
        """Whether ``name`` (from ``--format``) names this column."""
        wanted = _squash(name)
        return wanted in {_squash(self.header), _squash(self.field)}


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _project_column(
    header: str, field: str, text: Callable[[Project], str] | None = None
) -> Column[Project]:
    def raw(project: Project) -> str:
        value = getattr(project, field)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return iso_time(value)
        return _text(value)

    return Column(header, field, text or raw, raw)


PROJECT_COLUMNS: tuple[Column[Project], ...] = (
    _project_column("ID", "id"),
    _project_column("Owner UUID", "owner_uuid"),
    _project_column("Owner ID", "owner_id"),
    _project_column("Name", "name"),
    _project_column("Description", "description"),
    _project_column("Purpose", "purpose"),
    _project_column("Environment", "environment"),
    _project_column("Is Default", "is_default", lambda p: _yes_no(p.is_default)),
    _project_column("Created At", "created_at", lambda p: readable_time(p.created_at)),
    _project_column("Updated At", "updated_at", lambda p: readable_time(p.updated_at)),
)
# A list on a screen shows what tells projects apart; --format or CSV/JSON give every field.
PROJECT_TABLE_DEFAULT = ("ID", "Name", "Environment", "Purpose")

RESOURCE_COLUMNS: tuple[Column[Resource], ...] = (
    Column("URN", "urn", lambda r: r.urn, lambda r: r.urn),
    Column("Type", "type", lambda r: r.type, lambda r: r.type),
    Column(
        "Assigned At",
        "assigned_at",
        lambda r: readable_time(r.assigned_at),
        lambda r: iso_time(r.assigned_at),
    ),
    Column("Status", "status", lambda r: _text(r.status), lambda r: _text(r.status)),
    Column("Link", "links.self", lambda r: _text(r.links.self_), lambda r: _text(r.links.self_)),
)
RESOURCE_TABLE_DEFAULT = ("URN", "Type", "Assigned At", "Status")

RATE_LIMIT_COLUMNS: tuple[Column[RateLimit], ...] = (
    Column("Limit", "limit", lambda r: str(r.limit), lambda r: str(r.limit)),
    Column("Remaining", "remaining", lambda r: str(r.remaining), lambda r: str(r.remaining)),
    Column("Reset", "reset", lambda r: readable_time(r.reset), lambda r: iso_time(r.reset)),
)


def rate_limit_json(rate_limit: RateLimit) -> dict[str, object]:
    """Return the rate limit with the API's header names (less the ``ratelimit-`` prefix)."""
    return {
        "limit": rate_limit.limit,
        "remaining": rate_limit.remaining,
        "reset": iso_time(rate_limit.reset),
    }


def choose_columns(
    columns: Sequence[Column[T]], spec: str | None, default: Sequence[str] | None = None
) -> list[Column[T]]:
    """Return the columns ``--format`` names, in its order; without it, ``default`` or all."""
    if spec is None:
        if default is None:
            return list(columns)
        return [column for name in default for column in columns if column.header == name]
    chosen: list[Column[T]] = []
    for name in (part.strip() for part in spec.split(",")):
        if not name:
            continue
        match = next((column for column in columns if column.matches(name)), None)
        if match is None:
            known = ",".join(column.header.replace(" ", "") for column in columns)
            raise ValidationError(f"unknown column {name!r} in --format; choose from {known}")
        chosen.append(match)
    if not chosen:
        raise ValidationError("--format names no column")
    return chosen
