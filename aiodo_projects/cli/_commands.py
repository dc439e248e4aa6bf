"""The commands that map one to one onto the Projects API, each returning what to show."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

import aiodo_projects as do
from aiodo_projects.cli._columns import (
    PROJECT_COLUMNS,
    PROJECT_TABLE_DEFAULT,
    RATE_LIMIT_COLUMNS,
    RESOURCE_COLUMNS,
    RESOURCE_TABLE_DEFAULT,
    Column,
    rate_limit_json,
)
from aiodo_projects.cli._errors import CLIError
from aiodo_projects.cli._output import Table

if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Awaitable, Sequence

    from aiodo_projects.cli._connect import Connection
    from aiodo_projects.cli._output import Output

__all__ = ["COMMANDS", "columns_of", "subject_of"]

DEFAULT = "default"


def _is_default(ref: str) -> bool:
    return ref.lower() == DEFAULT


def subject_of(args: Namespace) -> str | None:
    """Name what a command is about, for error messages (``project 1234...``)."""
    ref = getattr(args, "project", None)
    if isinstance(ref, str):
        return "the default project" if _is_default(ref) else f"project {ref}"
    refs = getattr(args, "projects", None) if args.command == "delete" else None
    if isinstance(refs, list) and len(refs) == 1:
        return f"project {refs[0]}"
    return None


def _projects(items: Sequence[do.Project], *, caption: str | None = None) -> Table[do.Project]:
    return Table(
        PROJECT_COLUMNS, items, do.Project.to_dict, default=PROJECT_TABLE_DEFAULT, caption=caption
    )


def _project(project: do.Project) -> Table[do.Project]:
    return Table(PROJECT_COLUMNS, [project], do.Project.to_dict, single=True)


def _resources(items: Sequence[do.Resource], *, caption: str | None = None) -> Table[do.Resource]:
    return Table(
        RESOURCE_COLUMNS,
        items,
        do.Resource.to_dict,
        default=RESOURCE_TABLE_DEFAULT,
        caption=caption,
    )


def _page_args(args: Namespace) -> tuple[int, int]:
    return (
        1 if args.page is None else args.page,
        20 if args.per_page is None else args.per_page,
    )


def _page_caption(page: do.Page[Any], number: int, per_page: int, noun: str) -> str:
    pages = max(1, math.ceil(page.total / per_page))
    return f"page {number} of {pages} ({page.total} {noun} in all)"


def _count_caption(count: int, noun: str) -> str:
    return f"{count} {noun}" if count != 1 else f"1 {noun.removesuffix('s')}"


async def list_projects(conn: Connection, args: Namespace) -> Output:
    """``list``: every project, or one page with ``--page``/``--per-page``."""
    if args.page is None and args.per_page is None:
        projects = [project async for project in conn.client.projects.iter_all()]
        return _projects(projects, caption=_count_caption(len(projects), "projects"))
    number, per_page = _page_args(args)
    page = await conn.client.projects.list(page=number, per_page=per_page)
    return _projects(page.items, caption=_page_caption(page, number, per_page, "projects"))


async def get_project(conn: Connection, args: Namespace) -> Output:
    """``get ID|default``."""
    projects = conn.client.projects
    if _is_default(args.project):
        return _project(await projects.get_default())
    return _project(await projects.get(args.project))


def _environment(value: str | None) -> str | None:
    # Accept any case on the command line; anything else goes to the library's check.
    if value is None:
        return None
    for member in do.Environment:
        if member.value.lower() == value.lower():
            return member.value
    return value


def _fields(args: Namespace) -> do.ProjectFields:
    fields: do.ProjectFields = {}
    if args.name is not None:
        fields["name"] = args.name
    if args.description is not None:
        fields["description"] = args.description
    if args.purpose is not None:
        fields["purpose"] = args.purpose
    environment = _environment(args.environment)
    if environment is not None:
        fields["environment"] = environment
    if args.is_default is not None:
        fields["is_default"] = args.is_default
    return fields


async def create_project(conn: Connection, args: Namespace) -> Output:
    """``create --name N --purpose P [...]``."""
    project = await conn.client.projects.create(
        args.name,
        args.purpose,
        description=args.description,
        environment=_environment(args.environment),
        resources=args.resource,
    )
    return _project(project)


async def update_project(conn: Connection, args: Namespace) -> Output:
    """``update ID|default``: PUT, all five fields."""
    projects, fields = conn.client.projects, _fields(args)
    if _is_default(args.project):
        return _project(await projects.update_default(**fields))
    return _project(await projects.update(args.project, **fields))


async def patch_project(conn: Connection, args: Namespace) -> Output:
    """``patch ID|default``: PATCH, the fields given."""
    projects, fields = conn.client.projects, _fields(args)
    if _is_default(args.project):
        return _project(await projects.patch_default(**fields))
    return _project(await projects.patch(args.project, **fields))


@attrs.frozen
class Deleted:
    """A project the command deleted."""

    id: str

    def to_dict(self) -> dict[str, object]:
        """Return ``{"id": ..., "deleted": true}``."""
        return {"id": self.id, "deleted": True}


DELETED_COLUMNS: tuple[Column[Deleted], ...] = (
    Column("ID", "id", lambda d: d.id, lambda d: d.id),
    Column("Deleted", "deleted", lambda _: "yes", lambda _: "true"),
)


async def delete_projects(conn: Connection, args: Namespace) -> Output:
    """``delete ID...`` (confirmation was asked before the event loop started)."""
    done: list[Deleted] = []
    for project_id in args.projects:
        try:
            await conn.client.projects.delete(project_id)
        except do.DigitalOceanError as exc:
            if len(args.projects) > 1:
                exc.add_note(f"project {project_id} was not deleted")
                exc.add_note(f"{len(done)} of {len(args.projects)} projects were deleted before")
            raise
        done.append(Deleted(project_id))
    return Table(DELETED_COLUMNS, done, Deleted.to_dict)


async def list_resources(conn: Connection, args: Namespace) -> Output:
    """``resources list ID|default``: every resource, or one page."""
    projects = conn.client.projects
    ref = DEFAULT if _is_default(args.project) else args.project
    if args.page is None and args.per_page is None:
        items = [resource async for resource in projects.iter_resources(ref)]
        return _resources(items, caption=_count_caption(len(items), "resources"))
    number, per_page = _page_args(args)
    page = await projects.list_resources(ref, page=number, per_page=per_page)
    return _resources(page.items, caption=_page_caption(page, number, per_page, "resources"))


async def assign_resources(conn: Connection, args: Namespace) -> Output:
    """``resources assign ID|default URN...``."""
    projects = conn.client.projects
    if _is_default(args.project):
        assigned = await projects.assign_default_resources(args.urns)
    else:
        assigned = await projects.assign_resources(args.project, args.urns)
    return _resources(assigned)


async def show_rate_limit(conn: Connection, _: Namespace) -> Output:
    """``ratelimit``: one small request, then the ``ratelimit-*`` figures it carried."""
    await conn.client.projects.list(per_page=1)
    rate_limit = conn.client.rate_limit
    if rate_limit is None:
        raise CLIError("the API answered without ratelimit-* headers")
    return Table(RATE_LIMIT_COLUMNS, [rate_limit], rate_limit_json, single=True)


Command = Callable[["Connection", "Namespace"], "Awaitable[Output]"]

COMMANDS: dict[str, Command] = {
    "list": list_projects,
    "get": get_project,
    "create": create_project,
    "update": update_project,
    "patch": patch_project,
    "delete": delete_projects,
    "resources list": list_resources,
    "resources assign": assign_resources,
    "ratelimit": show_rate_limit,
}


def columns_of(command: str) -> Sequence[Column[Any]] | None:
    """Return the columns ``--format`` chooses from for ``command`` (``None``: no columns)."""
    if command.startswith("resources"):
        return RESOURCE_COLUMNS
    if command == "ratelimit":
        return RATE_LIMIT_COLUMNS
    if command == "delete":
        return DELETED_COLUMNS
    if command == "audit history":
        from aiodo_projects.cli._history import RUN_COLUMNS  # noqa: PLC0415

        return RUN_COLUMNS
    if command.startswith("audit") or command == "fake-server":
        return None
    return PROJECT_COLUMNS
