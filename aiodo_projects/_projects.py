"""The Projects endpoints: thin methods that validate, then send and say what to decode.

Paths, bodies and status codes follow DigitalOcean's OpenAPI description of ``/v2/projects*``.
"""

from __future__ import annotations

import logging
import operator
from typing import TYPE_CHECKING, TypedDict, Unpack

from aiodo_projects._pagination import Paginator
from aiodo_projects._validation import (
    FIELDS,
    check_page,
    check_project_fields,
    check_project_id,
    check_urns,
)
from aiodo_projects.errors import AmbiguousWriteError, DigitalOceanError, ValidationError
from aiodo_projects.models import Environment, Page, Project, Resource

if TYPE_CHECKING:
    import builtins
    import uuid
    from collections.abc import Iterable

    from yarl import URL

    from aiodo_projects._session import APISession

__all__ = ["ProjectFields", "Projects"]

logger = logging.getLogger("aiodo_projects")

_project_id = operator.attrgetter("id")
_resource_urn = operator.attrgetter("urn")


class ProjectFields(TypedDict, total=False):
    """The writable fields of a project, as keyword arguments of update and patch."""

    name: str
    description: str
    purpose: str
    environment: Environment | str
    is_default: bool


class Projects:
    """Every operation of the Projects API, reached as ``client.projects``."""

    def __init__(self, api: APISession, base_url: URL) -> None:
        self._api = api
        self._base_url = base_url
        self._url = base_url / "v2" / "projects"

    def __repr__(self) -> str:
        return f"Projects(base_url={str(self._base_url)!r})"

    def _project_url(self, project_id: str | uuid.UUID) -> URL:
        # The checked id (a UUID or "default") needs no quoting: setting the path as encoded
        # costs half of what joining a segment with ``/`` does.
        path = f"{self._url.raw_path}/{check_project_id(project_id)}"
        return self._url.with_path(path, encoded=True)

    # -- projects -------------------------------------------------------------------------

    async def list(self, *, page: int = 1, per_page: int = 20) -> Page[Project]:
        """Return one page of projects (``GET /v2/projects``)."""
        check_page(page, per_page)
        return await self._fetch_projects(self._url.with_query(page=page, per_page=per_page))

    def iter_all(self, *, per_page: int = 200, concurrency: int = 1) -> Paginator[Project]:
        """Return an async iterator over every project, following page links.

        ``concurrency=N`` fetches the first page, then up to N of the others at once; projects
        still come in order. Each id is yielded at most once, even if the list changes
        meanwhile (see :attr:`Paginator.drifted`).

        >>> async for project in client.projects.iter_all():  # doctest: +SKIP
        ...     print(project.name)
        """
        check_page(1, per_page)
        return Paginator(
            self._fetch_projects,
            self._url.with_query(page=1, per_page=per_page),
            self._base_url,
            concurrency=concurrency,
            key=_project_id,
        )

    async def _fetch_projects(self, url: URL) -> Page[Project]:
        return await self._api.request("GET", url, expect=Page[Project])

    async def create(
        self,
        name: str,
        purpose: str,
        *,
        description: str | None = None,
        environment: Environment | str | None = None,
        resources: Iterable[str] | None = None,
        reconcile: bool = False,
    ) -> Project:
        """Create a project (``POST /v2/projects``), then assign ``resources`` to it if given.

        Only the fields given are sent. DigitalOcean needs two calls to create a project with
        resources; this method makes both and returns the new project.

        A create is never sent twice: when its outcome is unknown (a 5xx, a connection lost
        once sent, a timeout) it raises :class:`AmbiguousWriteError`. With ``reconcile=True``
        it then looks the project up by its name (unique in an account) and returns it if it
        exists; if none does, it still raises, since a request held up on the way could land
        later, and posting again is the caller's decision.
        """
        body = check_project_fields(
            {
                "name": name,
                "description": description,
                "purpose": purpose,
                "environment": environment,
            },
            required=("name", "purpose"),
        )
        urns = None if resources is None else check_urns(resources)
        try:
            # An unreadable answer to this POST is ambiguous too: the new project's id is
            # unknown, and reconcile may find it.
            project = await self._api.request("POST", self._url, body=body, expect=Project)
        except AmbiguousWriteError as exc:
            if not reconcile:
                raise
            project = await self._reconcile(body, exc)
        if urns:
            try:
                await self.assign_resources(project.id, urns)
            except Exception as exc:
                exc.add_note(f"project {project.id} was created; assigning its resources failed")
                raise
        return project

    async def _reconcile(self, body: dict[str, object], ambiguous: AmbiguousWriteError) -> Project:
        """Find the project an ambiguous create may have made, or raise ``ambiguous``."""
        name = body["name"]
        try:
            found = [project async for project in self.iter_all() if project.name == name]
        except DigitalOceanError as exc:
            ambiguous.add_note(f"looking the project up by name failed too: {exc}")
            raise ambiguous from ambiguous.__cause__
        if not found:
            ambiguous.add_note(
                f"no project named {name!r} exists: the create was not processed so far, but a"
                " request held up on the way could still land; it was not sent again"
            )
            raise ambiguous from ambiguous.__cause__
        project = found[0]
        for field in ("description", "environment"):
            if field in body and body[field] != getattr(project, field):
                ambiguous.add_note(
                    f"project {project.id} is named {name!r} but its {field} differs from the"
                    " one requested: it may predate this create"
                )
                raise ambiguous from ambiguous.__cause__
        logger.debug("an ambiguous create of %r was reconciled: project %s", name, project.id)
        return project

    async def get(self, project_id: str | uuid.UUID) -> Project:
        """Return one project (``GET /v2/projects/{project_id}``)."""
        # awaited here, not through _read: one coroutine less on the most common call
        return await self._api.request("GET", self._project_url(project_id), expect=Project)

    async def get_default(self) -> Project:
        """Return the default project (``GET /v2/projects/default``)."""
        return await self._read(self._url / "default")

    async def _read(self, url: URL) -> Project:
        return await self._api.request("GET", url, expect=Project)

    async def update(self, project_id: str | uuid.UUID, **fields: Unpack[ProjectFields]) -> Project:
        """Replace a project (``PUT``): name, description, purpose, environment, is_default."""
        return await self._write("PUT", self._project_url(project_id), fields, complete=True)

    async def update_default(self, **fields: Unpack[ProjectFields]) -> Project:
        """Replace the default project (``PUT /v2/projects/default``): all five fields."""
        return await self._write("PUT", self._url / "default", fields, complete=True)

    async def patch(self, project_id: str | uuid.UUID, **fields: Unpack[ProjectFields]) -> Project:
        """Change some of a project's fields (``PATCH``): only those given, at least one."""
        return await self._write("PATCH", self._project_url(project_id), fields, complete=False)

    async def patch_default(self, **fields: Unpack[ProjectFields]) -> Project:
        """Change some of the default project's fields (``PATCH /v2/projects/default``)."""
        return await self._write("PATCH", self._url / "default", fields, complete=False)

    async def _write(
        self, method: str, url: URL, fields: ProjectFields, *, complete: bool
    ) -> Project:
        body = check_project_fields(dict(fields), required=FIELDS if complete else ())
        if not body:
            raise ValidationError(f"give at least one of {', '.join(FIELDS)} to patch")
        return await self._api.request(method, url, body=body, expect=Project)

    async def delete(self, project_id: str | uuid.UUID) -> None:
        """Delete an empty project (``DELETE``, 204); one with resources raises 412."""
        await self._api.request("DELETE", self._project_url(project_id))

    # -- resources ------------------------------------------------------------------------

    async def list_resources(
        self, project_id: str | uuid.UUID, *, page: int = 1, per_page: int = 20
    ) -> Page[Resource]:
        """Return one page of a project's resources (``GET .../resources``)."""
        check_page(page, per_page)
        url = self._project_url(project_id) / "resources"
        return await self._fetch_resources(url.with_query(page=page, per_page=per_page))

    async def list_default_resources(self, *, page: int = 1, per_page: int = 20) -> Page[Resource]:
        """Return one page of the default project's resources."""
        return await self.list_resources("default", page=page, per_page=per_page)

    def iter_resources(
        self, project_id: str | uuid.UUID, *, per_page: int = 200, concurrency: int = 1
    ) -> Paginator[Resource]:
        """Return an async iterator over every resource of a project, following page links.

        ``concurrency`` works as for :meth:`iter_all`.
        """
        check_page(1, per_page)
        url = (self._project_url(project_id) / "resources").with_query(page=1, per_page=per_page)
        return Paginator(
            self._fetch_resources, url, self._base_url, concurrency=concurrency, key=_resource_urn
        )

    def iter_default_resources(
        self, *, per_page: int = 200, concurrency: int = 1
    ) -> Paginator[Resource]:
        """Return an async iterator over every resource of the default project."""
        return self.iter_resources("default", per_page=per_page, concurrency=concurrency)

    async def _fetch_resources(self, url: URL) -> Page[Resource]:
        return await self._api.request("GET", url, expect=Page[Resource])

    async def assign_resources(
        self, project_id: str | uuid.UUID, urns: Iterable[str]
    ) -> builtins.list[Resource]:
        """Assign resources by URN (``POST .../resources``); return each with its status."""
        body = {"resources": check_urns(urns)}
        url = self._project_url(project_id) / "resources"
        return await self._api.request("POST", url, body=body, expect=list[Resource])

    async def assign_default_resources(self, urns: Iterable[str]) -> builtins.list[Resource]:
        """Assign resources by URN to the default project."""
        return await self.assign_resources("default", urns)
