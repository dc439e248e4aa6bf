"""The audit of one account: every project, and each one's resources, kept in the store.

One task lists the projects page by page, stores each page (the projects the filters keep)
and queues them; ``concurrency`` workers take them from the queue, fetch each project's
resources and store them, so resource fetches start with the first page and at most
``concurrency`` are in flight. The client's limiter and retries pace every request. Each
result is in the store once its write is acknowledged, so whatever stops the audit, a
resumed one skips every finished project: it queues the projects listed but not finished
first, and lists again only when the listing itself was not finished, queueing only the
projects it had not stored. A failure cancels the rest and is raised as itself (not an
``ExceptionGroup``, and not chained to one).
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections import Counter
from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do
from aiodo_projects.cli._errors import first_error
from aiodo_projects.cli._store import AuditStore

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence

    from aiodo_projects.cli._progress import Progress

__all__ = [
    "MAX_CONCURRENCY",
    "PER_PAGE",
    "Filters",
    "ProjectAudit",
    "audit_account",
    "audit_project",
]

MAX_CONCURRENCY = 64
PER_PAGE = 200  # the API's largest page: the fewest requests


@attrs.frozen
class ProjectAudit:
    """What the audit learnt about one project."""

    project: do.Project
    resources: int = 0
    by_type: dict[str, int] = attrs.field(factory=dict)
    not_ok: tuple[do.Resource, ...] = ()
    vanished: bool = False  # deleted between the listing and the fetch of its resources


def audit_project(project: do.Project, resources: Sequence[do.Resource]) -> ProjectAudit:
    """Summarize one project's resources: how many, of which types, which are not ``ok``."""
    return ProjectAudit(
        project=project,
        resources=len(resources),
        by_type=dict(Counter(resource.type or "unknown" for resource in resources)),
        not_ok=tuple(r for r in resources if r.status != do.ResourceStatus.OK),
    )


def _folded(value: str | None) -> str | None:
    return None if value is None else value.casefold()


@attrs.frozen
class Filters:
    """Which projects an audit covers; the API cannot filter, so the listing is filtered here.

    ``environment`` and ``purpose`` match whole values in any case; ``name`` is a shell-style
    pattern (``web-*``, ``*-prod``), also in any case.
    """

    environment: str | None = None
    purpose: str | None = None
    name: str | None = None

    def keep(self, project: do.Project) -> bool:
        """Whether the audit covers ``project``."""
        if self.environment is not None and _folded(
            None if project.environment is None else str(project.environment)
        ) != _folded(self.environment):
            return False
        if self.purpose is not None and _folded(project.purpose) != _folded(self.purpose):
            return False
        return self.name is None or fnmatch.fnmatchcase(
            project.name.casefold(), self.name.casefold()
        )

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(value is not None for value in attrs.astuple(self))

    def as_options(self) -> dict[str, object]:
        """Return the filters as a run's stored options."""
        return attrs.asdict(self)

    @classmethod
    def from_options(cls, options: object) -> Filters:
        """Rebuild the filters a run was started with."""
        stored = options if isinstance(options, dict) else {}
        values = {
            field.name: stored.get(field.name)
            for field in attrs.fields(cls)
            if isinstance(stored.get(field.name), str)
        }
        return cls(**values)


@attrs.frozen
class AccountJob:
    """What one account's audit needs: where to store, what to cover, how wide to go."""

    store: AuditStore
    run_id: int
    account: str
    filters: Filters
    concurrency: int

    def __attrs_post_init__(self) -> None:
        check_concurrency(self.concurrency)


def check_concurrency(concurrency: int) -> None:
    """Refuse a ``--concurrency`` outside 1 to :data:`MAX_CONCURRENCY`."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise do.ValidationError(
            f"--concurrency must be from 1 to {MAX_CONCURRENCY}, not {concurrency}"
        )


async def audit_account(client: do.Client, job: AccountJob, progress: Progress) -> None:
    """Audit one account into the store, skipping what the run already finished."""
    store, run_id, account = job.store, job.run_id, job.account
    stored = (await store.inventory(run_id)).of(account)
    known = {entry.project.id for entry in stored}
    unfinished = [entry.project for entry in stored if not entry.finished]
    run = await store.run(run_id)
    listed = run is not None and any(a.name == account and a.listed for a in run.accounts)
    kept = len(stored)
    before = next((a.total for a in run.accounts if a.name == account), None) if run else None
    progress.start(done=kept - len(unfinished), total=kept if listed else before)
    queue: asyncio.Queue[do.Project | None] = asyncio.Queue(job.concurrency * 4)

    async def produce() -> None:
        nonlocal kept
        for project in unfinished:
            await queue.put(project)
        if not listed:
            pages = client.projects.iter_all(per_page=PER_PAGE).pages()
            async for page in pages:
                new = [p for p in page.items if p.id not in known and job.filters.keep(p)]
                await store.add_projects(run_id, account, new, total=page.total)
                known.update(p.id for p in new)
                kept += len(new)
                progress.set_total(None if job.filters.active else page.total)
                for project in new:
                    await queue.put(project)
            await store.finish_listing(run_id, account)
            progress.set_total(kept)
        for _ in range(job.concurrency):
            await queue.put(None)

    async def work() -> None:
        while (project := await queue.get()) is not None:
            await _audit_one(client, job, project)
            progress.advance()

    await _together([produce(), *(work() for _ in range(job.concurrency))])


async def _together(jobs: list[Coroutine[object, object, None]]) -> None:
    """Run ``jobs`` as tasks; the first failure cancels the others and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as tasks:
            for job in jobs:
                tasks.create_task(job)
    except BaseExceptionGroup as group:
        failure = first_error(group)
    else:
        return
    # Raised here, outside the handler, the failure keeps its own context instead of the group.
    raise failure


async def _audit_one(client: do.Client, job: AccountJob, project: do.Project) -> None:
    try:
        resources = [r async for r in client.projects.iter_resources(project.id)]
    except do.NotFoundError:
        await job.store.finish_project(job.run_id, job.account, project.id, (), vanished=True)
        return
    await job.store.finish_project(job.run_id, job.account, project.id, resources)
