"""The audit's data gathering: every project, and each one's resources, concurrently.

One task lists the projects page by page and queues them; ``concurrency`` workers take them
from the queue and fetch each project's resources, so resource fetches start with the first
page and at most ``concurrency`` are in flight. The client's limiter and retries pace every
request; a failure cancels the rest and is raised as itself (not an ``ExceptionGroup``, and
not chained to one: a traceback shows that one failure, not every cancelled sibling).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do
from aiodo_projects.cli._errors import first_error

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence

    from aiodo_projects.cli._progress import Progress

__all__ = ["MAX_CONCURRENCY", "ProjectAudit", "audit_project", "gather"]

MAX_CONCURRENCY = 64


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


async def gather(client: do.Client, *, concurrency: int, progress: Progress) -> list[ProjectAudit]:
    """Return the audit of every project, in listing order."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise do.ValidationError(
            f"--concurrency must be from 1 to {MAX_CONCURRENCY}, not {concurrency}"
        )
    queue: asyncio.Queue[tuple[int, do.Project] | None] = asyncio.Queue(concurrency * 4)
    results: dict[int, ProjectAudit] = {}

    async def produce() -> None:
        projects = client.projects.iter_all()
        index, total = 0, None
        async for project in projects:
            if projects.total != total:
                total = projects.total
                progress.set_total(total)
            await queue.put((index, project))
            index += 1
        progress.set_total(index)
        for _ in range(concurrency):
            await queue.put(None)

    async def work() -> None:
        while (entry := await queue.get()) is not None:
            index, project = entry
            results[index] = await _audit_one(client, project)
            progress.advance()

    await _together([produce(), *(work() for _ in range(concurrency))])
    return [results[index] for index in sorted(results)]


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


async def _audit_one(client: do.Client, project: do.Project) -> ProjectAudit:
    try:
        resources = [r async for r in client.projects.iter_resources(project.id)]
    except do.NotFoundError:
        return ProjectAudit(project=project, vanished=True)
    return audit_project(project, resources)
