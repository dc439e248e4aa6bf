"""One account of the fake: its projects and resources, and the budgets of its tokens.

A :class:`~aiodo_projects.testing.FakeDigitalOcean` is its first account; more accounts, each
with its own token, data and rate limits, can be added to the same server with
:meth:`~aiodo_projects.testing.FakeDigitalOcean.add_account`, as a bulk auditor responsible
for several DigitalOcean accounts sees them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aiodo_projects.testing import _seed
from aiodo_projects.testing._state import check_fields
from aiodo_projects.testing._wire import ApiError, timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from aiodo_projects.testing._limits import LimitConfig, RateLimiter
    from aiodo_projects.testing._state import Store

__all__ = ["FakeAccount"]


class FakeAccount:
    """The data of one account of the fake, and the controls of its tokens' hourly budgets."""

    def __init__(
        self,
        *,
        token: str,
        tokens: frozenset[str],
        store: Store,
        limiter: RateLimiter,
        clock: Callable[[], float],
    ) -> None:
        self.token: str = token
        self.tokens: frozenset[str] = tokens
        self._store = store
        self._limiter = limiter
        self._clock = clock
        self._seeded = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} with {len(self._store.projects)} projects>"

    @property
    def limits(self) -> LimitConfig:
        """The rate limits every token of the server has (each counted on its own)."""
        return self._limiter.config

    @property
    def projects(self) -> Mapping[str, dict[str, Any]]:
        """Id -> project JSON, in listing order (a read-only view: change state via HTTP)."""
        return MappingProxyType(self._store.projects)

    @property
    def default_project_id(self) -> str:
        """The id of the default project (one exists from the start)."""
        return self._store.default_id

    def resources_of(self, project_id: str) -> list[dict[str, Any]]:
        """Return the resources of a project (``"default"`` names the default project)."""
        return list(self._store.resources[self._resolve(project_id)].values())

    def add_project(
        self,
        name: str = "web",
        purpose: str = "Web Application",
        *,
        description: str = "",
        environment: str | None = "Production",
        is_default: bool = False,
        created_at: str | datetime | None = None,
    ) -> dict[str, Any]:
        """Add a project directly (validated like a create); return its JSON.

        ``environment=None`` leaves the key out, as for a project created without one.
        """
        fields: dict[str, Any] = {"name": name, "purpose": purpose, "description": description}
        if environment is not None:
            fields["environment"] = environment
        try:
            check_fields(fields, required=("name", "purpose"))
            return self._store.insert(**fields, is_default=is_default, created_at=_when(created_at))
        except ApiError as exc:
            raise ValueError(exc.message) from None

    def add_resource(
        self,
        project_id: str,
        urn: str,
        status: str = "ok",
        assigned_at: str | datetime | None = None,
    ) -> dict[str, Any]:
        """Put a resource in a project (moving it from any other); return its JSON."""
        pid = self._resolve(project_id)
        try:
            return self._store.add_resource(pid, urn, status=status, assigned_at=_when(assigned_at))
        except ApiError as exc:
            raise ValueError(exc.message) from None

    def seed(self, projects: int = 1000, resources_per_project: int = 0) -> _seed.SeededProjects:
        """Add numbered projects (``project-00001``, ...) fast; deterministic but for ids.

        Return the projects added (a sequence of their JSON with a one-line repr).
        """
        added = _seed.numbered(self._store, self._seeded, projects, resources_per_project)
        self._seeded += projects
        return added

    def seed_demo(self, projects: int = 300, seed: int = 0) -> _seed.SeededProjects:
        """Add realistic demo projects and resources, the same for the same ``seed``.

        Return the projects added (a sequence of their JSON with a one-line repr).
        """
        return _seed.demo(self._store, projects, seed)

    def set_remaining(
        self, remaining: int, *, token: str | None = None, reset_in: float | None = None
    ) -> None:
        """Pretend the hourly budget is down to ``remaining`` requests.

        The pretend requests expire ``reset_in`` seconds from now (default: a whole
        hourly window), which is what ``ratelimit-reset`` then reports.
        """
        if token is not None and token not in self.tokens:
            raise ValueError("that token does not open this account")
        window = self.limits.hour_window
        self._limiter.set_remaining(
            token or self.token, remaining, self._clock(), window if reset_in is None else reset_in
        )

    def _resolve(self, project_id: str) -> str:
        try:
            return self._store.resolve(project_id)
        except ApiError:
            raise KeyError(project_id) from None


def _when(value: str | datetime | None) -> str | None:
    return value if value is None or isinstance(value, str) else timestamp(value.timestamp())
