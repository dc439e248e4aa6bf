"""The report of a stored run: one section per account and a combined summary.

The report is built from the store alone (:meth:`RunReport.from_inventory`), never from what
one process happened to fetch, so a run resumed after Ctrl-C reports exactly what an
uninterrupted run would. The JSON carries :data:`SCHEMA_VERSION` and ``generated_at``; its
top level is the combined summary (the keys a one-account report always had), and
``accounts`` holds each account's own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from aiodo_projects.cli import _report_view
from aiodo_projects.cli._audit import ProjectAudit, audit_project
from aiodo_projects.cli._output import plain_table
from aiodo_projects.cli._report import AuditReport
from aiodo_projects.cli._store import RunInfo
from aiodo_projects.cli._visible import visible

if TYPE_CHECKING:
    from rich.console import RenderableType

    from aiodo_projects.cli._job import JobOutcome
    from aiodo_projects.cli._output import RenderOptions
    from aiodo_projects.cli._store import Inventory, StoredProject

__all__ = ["SCHEMA_VERSION", "AccountSection", "RunReport"]

SCHEMA_VERSION = 2  # 1: one account, no run, no generated_at
WARN_SHARE = 0.8  # warn when an account used this much of its hourly budget


def _audit(stored: StoredProject) -> ProjectAudit:
    if stored.vanished:
        return ProjectAudit(project=stored.project, vanished=True)
    return audit_project(stored.project, stored.resources)


@attrs.frozen
class AccountSection:
    """One account's part of the run."""

    name: str
    status: str
    error: str | None
    report: AuditReport
    unfinished: int  # projects listed whose resources were not fetched

    def as_json(self) -> dict[str, object]:
        """Return the account's report with its name and status."""
        data = self.report.as_json()
        assert isinstance(data, dict)  # noqa: S101 - AuditReport.as_json is an object
        return {
            "account": self.name,
            "status": self.status,
            "error": self.error,
            "unfinished_projects": self.unfinished,
            **data,
        }


@attrs.frozen
class RunReport:
    """A run's report: its accounts, the combined summary, and how the run ended."""

    run: RunInfo
    sections: tuple[AccountSection, ...]
    summary: AuditReport
    generated_at: datetime
    reason: str | None = None
    exit_code: int = 0

    @classmethod
    def from_inventory(
        cls,
        inventory: Inventory,
        outcome: JobOutcome | None = None,
        *,
        top: int = 5,
        limit: int = 10,
    ) -> RunReport:
        """Build the report of a stored run (``outcome``: how this process's job went)."""
        run = inventory.run
        done = {o.name: o for o in outcome.accounts} if outcome is not None else {}
        sections = []
        for account in run.accounts:
            stored = inventory.of(account.name)
            mine = done.get(account.name)
            report = AuditReport(
                tuple(_audit(s) for s in stored if s.finished),
                requests=0 if mine is None else mine.requests,
                seconds=0.0 if outcome is None else outcome.seconds,
                rate_limit=None if mine is None else mine.rate_limit,
                top=top,
                limit=limit,
            )
            unfinished = sum(1 for s in stored if not s.finished)
            sections.append(
                AccountSection(account.name, account.status, account.error, report, unfinished)
            )
        summary = AuditReport(
            tuple(a for s in sections for a in s.report.audits),
            requests=sum(s.report.requests for s in sections),
            seconds=0.0 if outcome is None else outcome.seconds,
            rate_limit=sections[0].report.rate_limit if len(sections) == 1 else None,
            top=top,
            limit=limit,
        )
        return cls(
            run,
            tuple(sections),
            summary,
            datetime.now(UTC),
            reason=None if outcome is None else outcome.reason,
            exit_code=0 if outcome is None else outcome.exit_code,
        )

    @property
    def partial(self) -> bool:
        """Whether the run is not complete (its report lacks what was not fetched)."""
        return self.run.status != "complete"

    def status_line(self) -> str:
        """Say how the run ended and, when it is not complete, how to finish it."""
        if not self.partial:
            return f"Run {self.run.id}: complete"
        unfinished = sum(s.unfinished for s in self.sections)
        why = f" ({visible(self.reason)})" if self.reason else ""
        return (
            f"Run {self.run.id}: PARTIAL{why}; {unfinished:,} listed projects not fetched;"
            f" finish it with: aiodo-projects audit --resume {self.run.id}"
        )

    def warnings(self) -> list[str]:
        """Return a line for each account that used most of an hour's budget."""
        lines = []
        for section in self.sections:
            limit = section.report.rate_limit  # the client refuses a limit under 1
            if limit is None:
                continue
            used = limit.limit - limit.remaining
            if used >= WARN_SHARE * limit.limit:
                lines.append(
                    f"warning: {visible(section.name)} has used {used:,} of its {limit.limit:,}"
                    f" requests this hour ({100 * used // limit.limit}%); more requests before"
                    f" {limit.reset.astimezone(UTC):%H:%M} UTC will wait"
                )
        return lines

    # -- output ---------------------------------------------------------------------------

    def as_json(self) -> object:
        """Return the summary, the run and each account's report."""
        summary = self.summary.as_json()
        assert isinstance(summary, dict)  # noqa: S101 - AuditReport.as_json is an object
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "run": {
                "id": self.run.id,
                "status": self.run.status,
                "partial": self.partial,
                "reason": self.reason,
                "started_at": self.run.started_at.isoformat(),
                "finished_at": None
                if self.run.finished_at is None
                else self.run.finished_at.isoformat(),
            },
            **summary,
            "accounts": [section.as_json() for section in self.sections],
        }

    def as_csv(self, options: RenderOptions) -> list[list[str]]:
        """Return one row per project, with its account in the last column."""
        header: list[str] = []
        rows: list[list[str]] = []
        for section in self.sections:
            first, *body = section.report.as_csv(options)
            header = [*first, "account"]
            rows += [[*row, section.name] for row in body]
        return [header or [*self.summary.as_csv(options)[0], "account"], *rows]

    def _accounts_table(self, options: RenderOptions) -> str:
        headers = ("Account", "Status", "Projects", "Resources", "Not ok", "Empty", "Requests")
        rows = [
            (
                s.name,
                s.status,
                f"{len(s.report.present):,}",
                f"{s.report.total_resources:,}",
                f"{len(s.report.not_ok()):,}",
                f"{len(s.report.empty()):,}",
                f"{s.report.requests:,}",
            )
            for s in self.sections
        ]
        shown = headers if options.header else None
        return plain_table(shown, rows, (2, 3, 4, 5, 6)).rstrip("\n")

    def as_plain(self, options: RenderOptions) -> str:
        """Return each account's report, then the combined summary and the run's status."""
        tail = [self.status_line(), *self.warnings()]
        if len(self.sections) == 1:
            return _report_view.plain(self.summary, options) + "\n".join(tail) + "\n"
        parts = []
        for section in self.sections:
            parts.append(f"== Account {visible(section.name)} ({section.status}) ==")
            if section.error:
                parts.append(f"error: {visible(section.error)}")
            parts.append(_report_view.plain(section.report, options))
        parts += [
            f"== All {len(self.sections)} accounts ==",
            self._accounts_table(options),
            "",
            _report_view.plain(self.summary, options),
        ]
        return "\n".join([*parts, *tail]) + "\n"

    def as_rich(self, options: RenderOptions) -> list[RenderableType]:
        """Return rich renderables: each account's, then the summary's."""
        from rich.text import Text  # noqa: PLC0415 - rich is optional

        tail = [
            Text(line, style="bold" if self.partial else "dim")
            for line in [self.status_line(), *self.warnings()]
        ]
        if len(self.sections) == 1:
            return [*_report_view.rich(self.summary, options), *tail]
        shown: list[RenderableType] = []
        for section in self.sections:
            title = f"Account {section.name} ({section.status})"
            shown += [Text(visible(title), style="bold reverse"), Text("")]
            if section.error:
                shown.append(Text(f"error: {visible(section.error)}", style="red"))
            shown += [*_report_view.rich(section.report, options), Text("")]
        shown += [
            Text(f"All {len(self.sections)} accounts", style="bold reverse"),
            Text(self._accounts_table(options)),
            Text(""),
            *_report_view.rich(self.summary, options),
        ]
        return [*shown, *tail]
