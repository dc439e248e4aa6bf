"""The audit report for people: sections of rows, drawn as rich tables or plain text."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from aiodo_projects.cli._columns import readable_time
from aiodo_projects.cli._output import cell, column_style, plain_table
from aiodo_projects.cli._visible import visible

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from rich.console import RenderableType

    from aiodo_projects.cli._audit import ProjectAudit
    from aiodo_projects.cli._output import RenderOptions
    from aiodo_projects.cli._report import AuditReport, Group

__all__ = ["Section", "plain", "rich", "sections"]


@attrs.frozen
class Section:
    """A titled table of the report; ``more`` rows were left out (see ``--limit``)."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()  # columns to right-align
    more: int = 0
    empty: str = "none"


def _n(value: int) -> str:
    return f"{value:,}"


def _plural(count: int, noun: str) -> str:
    return f"{_n(count)} {noun}" + ("" if count == 1 else "s")


Row = tuple[str, ...]


def _limited(rows: Sequence[Row], limit: int) -> tuple[tuple[Row, ...], int]:
    if limit <= 0 or len(rows) <= limit:
        return tuple(rows), 0
    return tuple(rows[:limit]), len(rows) - limit


def _groups(title: str, header: str, groups: list[Group]) -> Section:
    rows = tuple((g.name, _n(g.projects), _n(g.resources)) for g in groups)
    return Section(title, (header, "Projects", "Resources"), rows, (1, 2))


def _date(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")


def _environment(audit: ProjectAudit) -> str:
    value = audit.project.environment
    return "" if value is None else str(value)


def sections(report: AuditReport) -> list[Section]:
    """Return the report's tables, in the order they are shown."""
    largest = tuple(
        (a.project.name, a.project.id, _environment(a), _n(a.resources)) for a in report.largest()
    )
    not_ok_rows = [
        # Project names are unique; the JSON report carries the ids too.
        (a.project.name, str(r.status), r.urn)
        for a in report.not_ok()
        for r in a.not_ok
    ]
    not_ok, not_ok_more = _limited(not_ok_rows, report.limit)
    empty_rows = [
        (a.project.name, a.project.id, _environment(a), _date(a.project.created_at))
        for a in report.empty()
    ]
    empty, empty_more = _limited(empty_rows, report.limit)
    result = [
        _groups("By environment", "Environment", report.by_environment()),
        _groups("By purpose", "Purpose", report.by_purpose()),
        Section(
            f"Largest projects (top {report.top})",
            ("Name", "ID", "Environment", "Resources"),
            largest,
            (3,),
        ),
        Section(
            f"Resources not ok ({_plural(len(not_ok_rows), 'resource')}"
            f" in {_plural(len(report.not_ok()), 'project')})",
            ("Project", "Status", "Resource"),
            not_ok,
            more=not_ok_more,
            empty="every resource is ok",
        ),
        Section(
            f"Empty projects, candidates for deletion ({_n(len(empty_rows))})",
            ("Name", "ID", "Environment", "Created"),
            empty,
            more=empty_more,
        ),
    ]
    if report.vanished:
        rows = tuple((a.project.name, a.project.id) for a in report.vanished)
        result.append(Section("Deleted while the audit ran", ("Name", "ID"), rows))
    return result


def headline(report: AuditReport) -> str:
    """Return the first line: what was audited."""
    return (
        f"Audit of {_plural(len(report.present), 'project')}"
        f" and {_plural(report.total_resources, 'resource')}"
    )


def details(report: AuditReport) -> list[str]:
    """Return the lines under the headline: resource types and the default project."""
    by_type = report.resources_by_type().items()
    types = ", ".join(f"{_n(count)} {visible(kind)}" for kind, count in by_type)
    lines = [f"Resources by type: {types or 'none'}"]
    default = report.default()
    if default is None:
        lines.append("Default project: not found in the listing")
    else:
        lines.append(
            f"Default project: {visible(default.project.name)} ({visible(default.project.id)}),"
            f" {_plural(default.resources, 'resource')}"
        )
    return lines


def footer(report: AuditReport) -> str:
    """Return the last line: requests made, time taken and the rate limit left."""
    text = f"{_plural(report.requests, 'request')} in {report.seconds:.2f} s"
    limit = report.rate_limit
    if limit is not None:
        text += (
            f"; rate limit: {_n(limit.remaining)} of {_n(limit.limit)} left"
            f" (resets {readable_time(limit.reset)})"
        )
    return text


def _more(section: Section) -> str:
    return f"... and {_n(section.more)} more (--limit 0 shows all; --output json lists all)"


def plain(report: AuditReport, options: RenderOptions) -> str:
    """Return the report as plain text sections."""
    parts = [headline(report), *details(report), ""]
    for section in sections(report):
        parts.append(section.title)
        if section.rows:
            headers = section.headers if options.header else None
            parts.append(plain_table(headers, section.rows, section.numeric).rstrip("\n"))
        else:
            parts.append(section.empty)
        if section.more:
            parts.append(_more(section))
        parts.append("")
    parts.append(footer(report))
    return "\n".join(parts) + "\n"


def rich(report: AuditReport, options: RenderOptions) -> list[RenderableType]:
    """Return the report as rich renderables."""
    from rich.columns import Columns  # noqa: PLC0415 - rich is optional
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    def table(section: Section) -> RenderableType:
        if not section.rows:
            return Text.assemble((section.title, "bold"), f": {section.empty}")
        drawn = Table(
            title=section.title,
            title_style="bold",
            title_justify="left",
            show_header=options.header,
            header_style="bold cyan",
            caption=_more(section) if section.more else None,
            caption_justify="left",
        )
        for index, header in enumerate(section.headers):
            drawn.add_column(
                header,
                justify="right" if index in section.numeric else "left",
                **column_style(header),
            )
        for row in section.rows:
            drawn.add_row(*(cell(text) for text in row))
        return drawn

    first, second, *rest = sections(report)
    spaced: list[RenderableType] = []
    for section in rest:
        spaced += [table(section), Text("")]
    return [
        Text(headline(report), style="bold green"),
        Text("\n".join(details(report))),
        Text(""),
        Columns([table(first), table(second)], padding=(0, 4)),
        Text(""),
        *spaced,
        Text(footer(report), style="dim"),
    ]
