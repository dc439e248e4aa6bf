"""The audit report: what it finds in the projects gathered, as JSON and CSV (pure)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do
from aiodo_projects.cli import _report_view
from aiodo_projects.cli._audit import ProjectAudit
from aiodo_projects.cli._columns import rate_limit_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from rich.console import RenderableType

    from aiodo_projects.cli._output import RenderOptions

__all__ = ["AuditReport", "Group"]

NO_ENVIRONMENT = "(none)"


@attrs.frozen
class Group:
    """Projects sharing an environment or a purpose."""

    name: str
    projects: int
    resources: int


def _groups(audits: Iterable[ProjectAudit], key: str, order: Iterable[str] = ()) -> list[Group]:
    projects: Counter[str] = Counter()
    resources: Counter[str] = Counter()
    for audit in audits:
        value = getattr(audit.project, key)
        name = NO_ENVIRONMENT if value in {None, ""} else str(value)
        projects[name] += 1
        resources[name] += audit.resources
    ranked = list(order) + [name for name, _ in projects.most_common() if name not in order]
    return [Group(name, projects[name], resources[name]) for name in ranked if name in projects]


def _sorted_counts(counter: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


@attrs.frozen
class AuditReport:
    """Every project's audit, plus how the audit itself went."""

    audits: tuple[ProjectAudit, ...]
    requests: int
    seconds: float
    rate_limit: do.RateLimit | None = None
    top: int = 5
    limit: int = 10  # rows per list on screens; 0 shows them all

    @property
    def present(self) -> list[ProjectAudit]:
        """The projects that still existed when their resources were fetched."""
        return [audit for audit in self.audits if not audit.vanished]

    @property
    def vanished(self) -> list[ProjectAudit]:
        """Projects deleted while the audit ran (listed, then 404 on their resources)."""
        return [audit for audit in self.audits if audit.vanished]

    @property
    def total_resources(self) -> int:
        """Resources across every project."""
        return sum(audit.resources for audit in self.audits)

    def resources_by_type(self) -> dict[str, int]:
        """Resources of each type (``droplet``, ``volume``...), most common first."""
        counts: Counter[str] = Counter()
        for audit in self.audits:
            counts.update(audit.by_type)
        return _sorted_counts(counts)

    def resources_by_status(self) -> dict[str, int]:
        """Resources of each status (``ok``, ``not_found``...), most common first."""
        counts = Counter(str(r.status) for audit in self.audits for r in audit.not_ok)
        ok = self.total_resources - counts.total()
        if ok:
            counts["ok"] = ok
        return _sorted_counts(counts)

    def by_environment(self) -> list[Group]:
        """Projects and resources per environment, in the API's order."""
        return _groups(self.present, "environment", ("Development", "Staging", "Production"))

    def by_purpose(self) -> list[Group]:
        """Projects and resources per purpose, most common first."""
        return _groups(self.present, "purpose")

    def default(self) -> ProjectAudit | None:
        """Return the default project's audit, if it was listed."""
        return next((audit for audit in self.present if audit.project.is_default), None)

    def empty(self) -> list[ProjectAudit]:
        """Projects with no resources, oldest first (not the default one: it cannot be deleted)."""
        empty = [a for a in self.present if a.resources == 0 and not a.project.is_default]
        return sorted(empty, key=lambda a: (a.project.created_at is None, a.project.created_at))

    def not_ok(self) -> list[ProjectAudit]:
        """Projects with at least one resource whose status is not ``ok``."""
        return [audit for audit in self.present if audit.not_ok]

    def largest(self) -> list[ProjectAudit]:
        """Return the ``top`` projects with the most resources (those with any)."""
        ranked = sorted(
            (audit for audit in self.present if audit.resources),
            key=lambda audit: (-audit.resources, audit.project.name),
        )
        return ranked[: self.top]

    # -- output ---------------------------------------------------------------------------

    def as_json(self) -> object:
        """Return the whole report; projects appear with the API's field names."""
        default = self.default()
        return {
            "projects": len(self.present),
            "resources": self.total_resources,
            "resources_by_type": self.resources_by_type(),
            "resources_by_status": self.resources_by_status(),
            "by_environment": [_group_json(g, "environment") for g in self.by_environment()],
            "by_purpose": [_group_json(g, "purpose") for g in self.by_purpose()],
            "default_project": None if default is None else _sized_json(default),
            "largest_projects": [_sized_json(audit) for audit in self.largest()],
            "empty_projects": [audit.project.to_dict() for audit in self.empty()],
            "projects_with_resources_not_ok": [
                {
                    "project": audit.project.to_dict(),
                    "resources": [resource.to_dict() for resource in audit.not_ok],
                }
                for audit in self.not_ok()
            ],
            "vanished_projects": [audit.project.id for audit in self.vanished],
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rate_limit": None if self.rate_limit is None else rate_limit_json(self.rate_limit),
        }

    def as_csv(self, options: RenderOptions) -> list[list[str]]:  # noqa: ARG002 - fixed columns
        """Return one row per project: its fields, resource count and resources not ok."""
        header = [
            "id",
            "name",
            "environment",
            "purpose",
            "is_default",
            "resources",
            "resources_not_ok",
        ]
        rows = [
            [
                audit.project.id,
                audit.project.name,
                "" if audit.project.environment is None else str(audit.project.environment),
                audit.project.purpose,
                "true" if audit.project.is_default else "false",
                str(audit.resources),
                str(len(audit.not_ok)),
            ]
            for audit in self.present
        ]
        return [header, *rows]

    def as_plain(self, options: RenderOptions) -> str:
        """Return the report as sections of plain text."""
        return _report_view.plain(self, options)

    def as_rich(self, options: RenderOptions) -> list[RenderableType]:
        """Return the report as rich tables."""
        return _report_view.rich(self, options)


def _group_json(group: Group, key: str) -> dict[str, object]:
    name = None if group.name == NO_ENVIRONMENT else group.name
    return {key: name, "projects": group.projects, "resources": group.resources}


def _sized_json(audit: ProjectAudit) -> dict[str, object]:
    return {
        "project": audit.project.to_dict(),
        "resources": audit.resources,
        "resources_by_type": _sorted_counts(audit.by_type),
    }
