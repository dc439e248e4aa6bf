"""What ``audit history``, ``audit diff`` and ``audit export`` show, from the stored runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from aiodo_projects.cli._columns import Column
from aiodo_projects.cli._diff import HEADERS, RunDiff
from aiodo_projects.cli._output import Table, plain_table
from aiodo_projects.cli._run_report import SCHEMA_VERSION
from aiodo_projects.cli._store import Inventory, RunInfo

if TYPE_CHECKING:
    from rich.console import RenderableType

    from aiodo_projects.cli._output import RenderOptions

__all__ = ["DiffOutput", "ExportOutput", "history_table"]


def _when(run: RunInfo) -> str:
    return run.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _run_json(run: RunInfo) -> dict[str, object]:
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        "status": run.status,
        "accounts": [
            {
                "name": a.name,
                "status": a.status,
                "projects": a.projects,
                "finished": a.finished,
                "resources": a.resources,
                "error": a.error,
            }
            for a in run.accounts
        ],
        "projects": run.projects,
        "resources": run.resources,
    }


RUN_COLUMNS: tuple[Column[RunInfo], ...] = (
    Column("ID", "id", lambda r: str(r.id), lambda r: str(r.id)),
    Column("Started", "started_at", _when, lambda r: r.started_at.isoformat()),
    Column("Status", "status", lambda r: r.status, lambda r: r.status),
    Column(
        "Accounts",
        "accounts",
        lambda r: ", ".join(r.account_names),
        lambda r: " ".join(r.account_names),
    ),
    Column("Projects", "projects", lambda r: f"{r.projects:,}", lambda r: str(r.projects)),
    Column("Resources", "resources", lambda r: f"{r.resources:,}", lambda r: str(r.resources)),
)


def history_table(runs: list[RunInfo]) -> Table[RunInfo]:
    """Return the stored runs, newest first."""
    caption = f"{len(runs)} runs" if len(runs) != 1 else "1 run"
    return Table(RUN_COLUMNS, runs, _run_json, caption=caption)


@attrs.frozen
class DiffOutput:
    """The changes between two runs, as a table, JSON or CSV."""

    diff: RunDiff

    def as_json(self) -> object:
        """Return the changes with the API's field names."""
        return self.diff.as_json()

    def as_csv(self, options: RenderOptions) -> list[list[str]]:
        """Return one row per change."""
        rows = self.diff.as_csv()
        return rows if options.header else rows[1:]

    def _summary(self) -> str:
        d = self.diff
        text = (
            f"Changes from run {d.old_run} to run {d.new_run}: {len(d.projects)} to projects,"
            f" {len(d.resources)} to resources"
        )
        if d.unknown:
            text += f" ({d.unknown} projects not fetched by a partial run are left out)"
        return text

    def as_plain(self, options: RenderOptions) -> str:
        """Return the summary line and a table of the changes."""
        rows = self.diff.rows()
        if not rows:
            return self._summary() + "\nno changes\n"
        headers = tuple(h.capitalize() for h in HEADERS) if options.header else None
        table = plain_table(headers, [tuple(row) for row in rows], ())
        return self._summary() + "\n" + table

    def as_rich(self, options: RenderOptions) -> list[RenderableType]:
        """Return the same table for a terminal."""
        from rich.text import Text  # noqa: PLC0415 - rich is optional

        return [Text(self.as_plain(options).rstrip("\n"))]


@attrs.frozen
class ExportOutput:
    """A run's full inventory: every project and every resource, whatever its status."""

    inventory: Inventory

    def as_json(self) -> object:
        """Return the run and each project with all its resources."""
        return {
            "schema_version": SCHEMA_VERSION,
            "run": _run_json(self.inventory.run),
            "projects": [
                {
                    "account": s.account,
                    "finished": s.finished,
                    "vanished": s.vanished,
                    "project": s.project.to_dict(),
                    "resources": [r.to_dict() for r in s.resources],
                }
                for s in self.inventory.projects
            ],
        }

    def as_csv(self, options: RenderOptions) -> list[list[str]]:  # noqa: ARG002 - fixed columns
        """Return one row per resource (and one per project without any)."""
        header = [
            "account", "project_id", "project_name", "environment", "purpose", "is_default",
            "urn", "type", "status", "assigned_at",
        ]  # fmt: skip
        rows = []
        for s in self.inventory.projects:
            p = s.project
            base = [
                s.account, p.id, p.name, "" if p.environment is None else str(p.environment),
                p.purpose, "true" if p.is_default else "false",
            ]  # fmt: skip
            if not s.resources:
                rows.append([*base, "", "", "", ""])
            for r in s.resources:
                assigned = "" if r.assigned_at is None else r.assigned_at.isoformat()
                status = "" if r.status is None else str(r.status)
                rows.append([*base, r.urn, r.type or "", status, assigned])
        return [header, *rows]

    def as_plain(self, options: RenderOptions) -> str:
        """Return the rows as a plain table."""
        header, *rows = self.as_csv(options)
        shown = tuple(header) if options.header else None
        return plain_table(shown, [tuple(row) for row in rows], ())

    def as_rich(self, options: RenderOptions) -> list[RenderableType]:
        """Return the plain table for a terminal."""
        from rich.text import Text  # noqa: PLC0415 - rich is optional

        return [Text(self.as_plain(options).rstrip("\n"))]
