"""Bulk data for the fake: numbered projects for benchmarks, realistic ones for demos."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, overload

from aiodo_projects._display import counted
from aiodo_projects.testing._state import ENVIRONMENTS, PURPOSES
from aiodo_projects.testing._wire import timestamp

if TYPE_CHECKING:
    from aiodo_projects.testing._state import Store

__all__ = ["SeededProjects", "demo", "numbered"]

_MAX_RESOURCES: Final = 10_000
_TEAMS: Final = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")
_APPS: Final = (
    "checkout", "billing", "search", "auth", "catalog", "inventory", "analytics", "blog",
    "marketing-site", "docs", "mobile-backend", "notifications", "payments", "reporting",
    "recommendations", "media", "chat", "crm", "ml-pipeline", "iot-gateway", "ci-runners",
    "monitoring", "data-lake", "sandbox", "status-page",
)  # fmt: skip
_SHORT: Final = {"Development": "dev", "Staging": "staging", "Production": "prod"}
_KINDS: Final = (
    "droplet", "volume", "domain", "dbaas", "kubernetes", "loadbalancer", "space",
    "floatingip", "app",
)  # fmt: skip
_KIND_WEIGHTS: Final = (35, 15, 8, 10, 5, 8, 8, 6, 5)
_START: Final = 1_546_300_800.0  # 2019-01-01T00:00:00Z
_END: Final = 1_748_736_000.0  # 2025-06-01T00:00:00Z


class SeededProjects(Sequence[dict[str, Any]]):
    """The projects one call to ``seed`` or ``seed_demo`` added: their JSON, oldest first.

    A read-only sequence with a one-line repr, so a notebook that seeds 300 projects echoes
    one line rather than every project.
    """

    __slots__ = ("_projects", "resources")

    def __init__(self, projects: list[dict[str, Any]], resources: int) -> None:
        self._projects = projects
        self.resources: int = resources
        """How many resources were added to these projects."""

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._projects[index]

    def __len__(self) -> int:
        return len(self._projects)

    @property
    def ids(self) -> list[str]:
        """The ids of the projects added, oldest first."""
        return [project["id"] for project in self._projects]

    def __repr__(self) -> str:
        projects, resources = counted(len(self), "project"), counted(self.resources, "resource")
        return f"<{type(self).__name__}: {projects}, {resources}>"


def numbered(store: Store, start: int, count: int, resources_per_project: int) -> SeededProjects:
    """Add ``count`` projects named ``project-00001``... after the first ``start``."""
    if count < 0 or not 0 <= resources_per_project < _MAX_RESOURCES:
        raise ValueError(f"counts must be >= 0 and resources_per_project < {_MAX_RESOURCES}")
    created = store.now()
    added = []
    for n in range(start + 1, start + count + 1):
        project = store.insert(
            name=f"project-{n:05d}",
            purpose=PURPOSES[n % len(PURPOSES)],
            description=f"Seeded project {n}",
            environment=ENVIRONMENTS[n % len(ENVIRONMENTS)],
            created_at=created,
        )
        for j in range(resources_per_project):
            store.add_resource(
                project["id"],
                f"do:droplet:{n * _MAX_RESOURCES + j}",
                status="ok",
                assigned_at=created,
            )
        added.append(project)
    return SeededProjects(added, count * resources_per_project)


def demo(store: Store, count: int, seed: int) -> SeededProjects:
    """Add ``count`` realistic projects with resources, deterministic for ``seed``.

    Projects spread over the 3 environments and the 9 purposes (a few custom ones);
    resources of 9 types; some projects empty; a few resources ``not_found`` or
    ``service_down``. The first project is always empty and the second always holds
    one resource of each unusual status.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    serial = iter(range(1, 10**9))
    added = []
    resources = 0
    for index in range(count):
        environment = rng.choice(ENVIRONMENTS)
        team, app = rng.choice(_TEAMS), rng.choice(_APPS)
        name = f"{team}-{app}-{_SHORT[environment]}"
        suffix = 2
        while store.has_name(name):
            name, suffix = f"{team}-{app}-{_SHORT[environment]}-{suffix}", suffix + 1
        purpose = rng.choice(PURPOSES) if rng.random() > 0.03 else "Internal hackathon"  # noqa: PLR2004
        created = rng.uniform(_START, _END)
        description = rng.choice(("", f"{app.replace('-', ' ').title()} for {team}"))
        project_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        project = store.insert(
            name=name,
            purpose=purpose,
            description=description,
            environment=environment,
            created_at=timestamp(created),
            updated_at=timestamp(rng.uniform(created, _END)),
            project_id=project_id,
        )
        empty = index == 0 or (index > 1 and rng.random() < 0.12)  # noqa: PLR2004
        statuses = ["not_found", "service_down"] if index == 1 else []
        for _ in range(0 if empty else rng.randint(1, 10)):
            status = statuses.pop() if statuses else _status(rng)
            urn = _urn(rng, next(serial), team, app)
            when = timestamp(rng.uniform(created, _END))
            store.add_resource(project["id"], urn, status=status, assigned_at=when)
            resources += 1
        added.append(project)
    return SeededProjects(added, resources)


def _status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:  # noqa: PLR2004
        return "not_found"
    return "service_down" if roll < 0.05 else "ok"  # noqa: PLR2004


def _urn(rng: random.Random, n: int, team: str, app: str) -> str:
    kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
    match kind:
        case "droplet":
            ident = str(300_000_000 + n)
        case "domain":
            ident = f"{app}-{n}.{team}.example.com"
        case "space":
            ident = f"{team}-{app}-assets-{n}"
        case "floatingip":
            ident = f"198.51.{n // 250 % 256}.{n % 250 + 1}"
        case _:
            ident = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return f"do:{kind}:{ident}"
