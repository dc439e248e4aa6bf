"""Where audit runs are kept: the interface, the stored shapes, and the default location.

An audit writes what it fetches to a store as it goes, so that nothing fetched is lost when
the job stops early, a later ``audit --resume`` can skip what is already done, and two runs
can be compared. :class:`AuditStore` is the small interface the audit uses; the embedded
SQLite file (:mod:`aiodo_projects.cli._sqlite_store`) is its first implementation, and a
server database can be added behind the same methods.

A run moves through these calls::

    run_id = await store.start_run(accounts=["prod", "staging"], options={...})
    await store.add_projects(run_id, "prod", page.items, total=page.total)  # per page
    await store.finish_listing(run_id, "prod")                             # listing complete
    await store.finish_project(run_id, "prod", project_id, resources)       # per project
    await store.finish_run(run_id, "complete")

Every awaited write is acknowledged only once it is durable: whatever the process does next
(Ctrl-C, a crash, a kill), an acknowledged write is in the store. A run is ``partial`` from
the moment it starts until :meth:`AuditStore.finish_run` says otherwise, so a run whose
process died is partial, never mistaken for complete.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import attrs

import aiodo_projects as do
from aiodo_projects.cli._errors import CLIError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "APP_DIRECTORY",
    "DB_FILENAME",
    "AccountRun",
    "AuditStore",
    "Inventory",
    "RunInfo",
    "RunStatus",
    "StoreError",
    "StoredProject",
    "default_db_path",
    "project_from_json",
]

RunStatus = Literal["complete", "partial", "failed"]
RUN_STATUSES: tuple[RunStatus, ...] = ("complete", "partial", "failed")

APP_DIRECTORY = "aiodo-projects"
DB_FILENAME = "audit.sqlite3"


class StoreError(CLIError):
    """The audit database cannot be opened, read or written; the message names the file."""


@attrs.frozen
class AccountRun:
    """One account within a run: how far its listing got and how it ended."""

    name: str
    total: int | None  # meta.total of the listing's last page, once a page was stored
    listed: bool  # every page of projects was stored
    projects: int
    finished: int  # projects whose resources are stored (or that vanished)
    resources: int
    status: RunStatus
    error: str | None = None


@attrs.frozen
class RunInfo:
    """A stored run with its counts."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    accounts: tuple[AccountRun, ...]
    options: Mapping[str, object]

    @property
    def projects(self) -> int:
        """Projects stored, across accounts."""
        return sum(account.projects for account in self.accounts)

    @property
    def resources(self) -> int:
        """Resources stored, across accounts."""
        return sum(account.resources for account in self.accounts)

    @property
    def account_names(self) -> tuple[str, ...]:
        """The accounts the run covers, in the order it was started with."""
        return tuple(account.name for account in self.accounts)


@attrs.frozen
class StoredProject:
    """A project of a run with its resources; those are known only once it is ``finished``."""

    account: str
    project: do.Project
    resources: tuple[do.Resource, ...] = ()
    finished: bool = False
    vanished: bool = False  # deleted between the listing and the fetch of its resources


@attrs.frozen
class Inventory:
    """Everything a run stored: its projects in listing order, per account."""

    run: RunInfo
    projects: tuple[StoredProject, ...]

    def of(self, account: str) -> tuple[StoredProject, ...]:
        """Return one account's projects."""
        return tuple(stored for stored in self.projects if stored.account == account)


class AuditStore(Protocol):
    """What the audit needs from a store; each write is durable once its await returns."""

    async def start_run(
        self,
        *,
        accounts: Sequence[str],
        options: Mapping[str, object],
        started_at: datetime | None = None,
    ) -> int:
        """Record a new run (status ``partial``) and return its id."""
        ...

    async def add_projects(
        self, run_id: int, account: str, projects: Sequence[do.Project], *, total: int
    ) -> None:
        """Store listed projects (again, on resume: a finished project stays finished)."""
        ...

    async def finish_listing(self, run_id: int, account: str) -> None:
        """Record that every page of the account's projects was stored."""
        ...

    async def finish_project(
        self,
        run_id: int,
        account: str,
        project_id: str,
        resources: Sequence[do.Resource],
        *,
        vanished: bool = False,
    ) -> None:
        """Store a project's resources, replacing any earlier ones, and mark it finished."""
        ...

    async def finish_account(
        self, run_id: int, account: str, status: RunStatus, error: str | None = None
    ) -> None:
        """Record how one account's audit ended."""
        ...

    async def finish_run(
        self, run_id: int, status: RunStatus, *, finished_at: datetime | None = None
    ) -> None:
        """Record how the run ended."""
        ...

    async def latest_run(self) -> RunInfo | None:
        """Return the most recently started run."""
        ...

    async def run(self, run_id: int) -> RunInfo | None:
        """Return one run, or ``None`` when there is no such run."""
        ...

    async def runs(self) -> list[RunInfo]:
        """Return every run, newest first."""
        ...

    async def last_complete_runs(self, count: int = 2) -> list[RunInfo]:
        """Return the ``count`` most recent complete runs, oldest first."""
        ...

    async def unfinished_projects(self, run_id: int, account: str) -> list[do.Project]:
        """Return the account's listed projects whose resources are not stored yet."""
        ...

    async def inventory(self, run_id: int) -> Inventory:
        """Return every project and resource the run stored."""
        ...

    async def aclose(self) -> None:
        """Finish pending writes and release the store."""
        ...


def default_db_path(
    *,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> Path:
    """Return where the audit database lives by default, in the user's data directory.

    Linux and other Unix: ``$XDG_DATA_HOME`` (when set to an absolute path, as the XDG
    specification requires) or ``~/.local/share``; macOS: ``~/Library/Application Support``;
    Windows: ``%LOCALAPPDATA%`` (the database is bulky and machine-specific, so not roaming).
    """
    home = Path.home() if home is None else home
    if platform == "win32":
        local = environ.get("LOCALAPPDATA", "")
        base = Path(local) if local else home / "AppData" / "Local"
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_DIRECTORY / DB_FILENAME


def _datetime(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, not {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def _open_enum(enum: type[do.Environment | do.ResourceStatus], value: object) -> object:
    if value is None:
        return None
    text = str(value)
    return enum(text) if text in enum._value2member_map_ else text


def project_from_json(data: Mapping[str, object]) -> do.Project:
    """Rebuild a project from :meth:`do.Project.to_dict`'s JSON (raises on a wrong shape)."""
    owner_id = data.get("owner_id", 0)
    if not isinstance(owner_id, int) or isinstance(owner_id, bool):
        raise TypeError("owner_id is not an integer")
    return do.Project(
        id=str(data["id"]),
        name=str(data["name"]),
        owner_uuid=str(data.get("owner_uuid", "")),
        owner_id=owner_id,
        description=str(data.get("description", "")),
        purpose=str(data.get("purpose", "")),
        environment=_open_enum(do.Environment, data.get("environment")),  # type: ignore[arg-type]
        is_default=data.get("is_default") is True,
        created_at=_datetime(data.get("created_at")),
        updated_at=_datetime(data.get("updated_at")),
    )


def resource_from_row(
    urn: str, assigned_at: str | None, status: str | None, link: str | None
) -> do.Resource:
    """Rebuild a resource from its stored columns."""
    return do.Resource(
        urn=urn,
        assigned_at=_datetime(assigned_at),
        links=do.ResourceLinks(self_=link),
        status=_open_enum(do.ResourceStatus, status),  # type: ignore[arg-type]
    )
