"""What changed between two stored audit runs, per account (pure).

Projects are matched by id, resources by URN within an account:

- a project is added, removed, or changed in one of :data:`PROJECT_FIELDS`;
- a resource is added, removed, moved to another project, or its status changed (``ok`` to
  ``service_down``); one that moved and changed status gives one change of each kind.

A project deleted while a run went on (listed, then gone) counts as absent from that run.
A project whose resources a partial run did not fetch is *unknown*: its resources are left
out on both sides rather than reported as removed or added, and ``unknown`` counts them so
the caller can say so. Two complete runs have none.

The result reads as JSON (:meth:`RunDiff.as_json`) and as plain rows of :data:`HEADERS`
(:meth:`RunDiff.rows`), which a CSV writer or a table draws as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do

if TYPE_CHECKING:
    from aiodo_projects.cli._store import Inventory, StoredProject

__all__ = ["HEADERS", "PROJECT_FIELDS", "ProjectChange", "ResourceChange", "RunDiff", "diff_runs"]

PROJECT_FIELDS = ("name", "environment", "purpose", "is_default")
HEADERS = ("account", "kind", "change", "id", "name", "field", "old", "new")


@attrs.frozen
class ProjectChange:
    """A project added, removed or changed; ``fields`` holds ``(field, old, new)``."""

    account: str
    change: str  # added, removed or changed
    project: do.Project  # as in the newer run (the older one, when removed)
    fields: tuple[tuple[str, object, object], ...] = ()


@attrs.frozen
class ResourceChange:
    """A resource added, removed, moved or whose status changed."""

    account: str
    change: str  # added, removed, moved or status
    urn: str
    old_project: do.Project | None = None
    new_project: do.Project | None = None
    old_status: str | None = None
    new_status: str | None = None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field(project: do.Project, name: str) -> object:
    value = getattr(project, name)
    return value if value is None or isinstance(value, bool) else str(value)


@attrs.frozen
class RunDiff:
    """The changes from run ``old_run`` to run ``new_run``."""

    old_run: int
    new_run: int
    projects: tuple[ProjectChange, ...]
    resources: tuple[ResourceChange, ...]
    unknown: int = 0  # projects whose resources one of the runs did not fetch

    def as_json(self) -> dict[str, object]:
        """Return the changes with the API's field names and ids."""
        return {
            "old_run": self.old_run,
            "new_run": self.new_run,
            "projects": [
                {
                    "account": c.account,
                    "change": c.change,
                    "project": c.project.to_dict(),
                    "fields": {name: {"old": old, "new": new} for name, old, new in c.fields},
                }
                for c in self.projects
            ],
            "resources": [
                {
                    "account": c.account,
                    "change": c.change,
                    "urn": c.urn,
                    "old_project_id": None if c.old_project is None else c.old_project.id,
                    "new_project_id": None if c.new_project is None else c.new_project.id,
                    "old_status": c.old_status,
                    "new_status": c.new_status,
                }
                for c in self.resources
            ],
            "unknown_projects": self.unknown,
        }

    def rows(self) -> list[tuple[str, ...]]:
        """Return one row of :data:`HEADERS` per change (per field, for a changed project)."""
        rows: list[tuple[str, ...]] = []
        for p in self.projects:
            base = (p.account, "project", p.change, p.project.id, p.project.name)
            if p.fields:
                rows += [(*base, name, _text(old), _text(new)) for name, old, new in p.fields]
            else:
                rows.append((*base, "", "", ""))
        for r in self.resources:
            kind = r.urn.split(":")[1] if r.urn.count(":") >= 2 else ""  # noqa: PLR2004
            old = "" if r.old_project is None else r.old_project.name
            new = "" if r.new_project is None else r.new_project.name
            if r.change == "status":
                rows.append((r.account, "resource", r.change, r.urn, kind, "status",
                             _text(r.old_status), _text(r.new_status)))  # fmt: skip
            else:
                rows.append((r.account, "resource", r.change, r.urn, kind, "project", old, new))
        return rows

    def as_csv(self) -> list[list[str]]:
        """Return the header and the rows, as a CSV writer takes them."""
        return [list(HEADERS), *(list(row) for row in self.rows())]


def _present(stored: tuple[StoredProject, ...]) -> dict[str, StoredProject]:
    return {s.project.id: s for s in stored if not s.vanished}


def _diff_projects(
    account: str, old: dict[str, StoredProject], new: dict[str, StoredProject]
) -> list[ProjectChange]:
    changes = [ProjectChange(account, "removed", s.project) for i, s in old.items() if i not in new]
    for project_id, stored in new.items():
        before = old.get(project_id)
        if before is None:
            changes.append(ProjectChange(account, "added", stored.project))
            continue
        fields = tuple(
            (name, _field(before.project, name), _field(stored.project, name))
            for name in PROJECT_FIELDS
            if _field(before.project, name) != _field(stored.project, name)
        )
        if fields:
            changes.append(ProjectChange(account, "changed", stored.project, fields))
    return changes


def _placed(
    projects: dict[str, StoredProject], unknown: set[str]
) -> dict[str, tuple[do.Project, str | None]]:
    return {
        r.urn: (s.project, None if r.status is None else str(r.status))
        for project_id, s in projects.items()
        if project_id not in unknown
        for r in s.resources
    }


def _diff_resources(
    account: str, old: dict[str, StoredProject], new: dict[str, StoredProject]
) -> tuple[list[ResourceChange], int]:
    unknown = {i for i, s in (*old.items(), *new.items()) if not s.finished}
    before, after = _placed(old, unknown), _placed(new, unknown)
    changes = [
        ResourceChange(account, "removed", urn, old_project=project, old_status=status)
        for urn, (project, status) in before.items()
        if urn not in after
    ]
    for urn, (project, status) in after.items():
        if urn not in before:
            changes.append(
                ResourceChange(account, "added", urn, new_project=project, new_status=status)
            )
            continue
        old_project, old_status = before[urn]
        if old_project.id != project.id:
            changes.append(
                ResourceChange(account, "moved", urn, old_project, project, old_status, status)
            )
        if old_status != status:
            changes.append(
                ResourceChange(account, "status", urn, old_project, project, old_status, status)
            )
    return changes, len(unknown)


def diff_runs(old: Inventory, new: Inventory) -> RunDiff:
    """Return what changed from the ``old`` run to the ``new`` one, account by account."""
    accounts = list(old.run.account_names)
    accounts += [name for name in new.run.account_names if name not in accounts]
    projects: list[ProjectChange] = []
    resources: list[ResourceChange] = []
    unknown = 0
    for account in accounts:
        before, after = _present(old.of(account)), _present(new.of(account))
        projects += _diff_projects(account, before, after)
        changed, skipped = _diff_resources(account, before, after)
        resources += changed
        unknown += skipped
    return RunDiff(old.run.id, new.run.id, tuple(projects), tuple(resources), unknown)
