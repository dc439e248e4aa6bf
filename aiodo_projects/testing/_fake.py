"""`FakeDigitalOcean`: the in-memory Projects API on a loopback port, and its controls."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections import deque
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Self

from aiohttp import web

from aiodo_projects.testing import _seed
from aiodo_projects.testing._faults import Fault, ScriptedResponse, check_seconds
from aiodo_projects.testing._limits import LimitConfig, RateLimiter
from aiodo_projects.testing._routes import OPERATION_IDS
from aiodo_projects.testing._server import Dispatcher, RecordedRequest, Step
from aiodo_projects.testing._state import Store, check_fields
from aiodo_projects.testing._wire import ApiError, timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime
    from types import TracebackType

OWNER_UUID: Final = "5f0e8a2b9c3d4e1f8a7b6c5d4e3f2a1b0c9d8e7f"
OWNER_ID: Final = 4242424
_MAX_PORT: Final = 65535


def check_loopback(host: str) -> None:
    """Refuse to listen anywhere but on a loopback address: the fake is for tests."""
    if not isinstance(host, str):
        raise ValueError(f"host must be a str, not {host!r}")  # noqa: TRY004 - one error type
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the fake listens only on loopback addresses, not {host!r}")


class FakeDigitalOcean:
    """An in-memory DigitalOcean Projects API served over HTTP on a loopback port.

    It answers all 13 Projects operations as the real API does (status codes, error
    bodies, pagination links, ``ratelimit-*`` headers), records every request, and can
    be scripted to fail::

        async with FakeDigitalOcean(token="test-token") as fake:
            fake.add_project(name="web", purpose="Web Application")
            fake.script("projects_create", 503, Fault.reset_after_processing())
            async with aiohttp.ClientSession() as session:
                headers = {"Authorization": f"Bearer {fake.token}"}
                async with session.get(fake.base_url + "/v2/projects", headers=headers) as r:
                    assert (await r.json())["meta"]["total"] == 2

    ``clock`` drives timestamps and the rate-limit logs; ``date_skew`` makes the ``Date``
    and ``ratelimit-reset`` headers read as if the server clock were that many seconds
    off; pagination links name the fake's own address, or ``public_url`` when given.
    ``record_limit`` caps the request log (:attr:`requests`) for long runs: by default a test's
    fake keeps every request, and the standalone server keeps the latest 10,000.
    """

    def __init__(
        self,
        *,
        token: str = "test-token",  # noqa: S107 - a test credential
        tokens: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        limits: LimitConfig | None = None,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
        date_skew: float = 0.0,
        record_limit: int | None = None,
    ) -> None:
        check_loopback(host)
        if type(port) is not int or not 0 <= port <= _MAX_PORT:
            raise ValueError(f"port must be an int from 0 to {_MAX_PORT}, not {port!r}")
        check_seconds("date_skew", date_skew, signed=True)
        if record_limit is not None and (type(record_limit) is not int or record_limit < 0):
            raise ValueError(f"record_limit must be None or an int >= 0, not {record_limit!r}")
        accepted = [token] if tokens is None else list(tokens)
        if not accepted:
            raise ValueError("the fake needs at least one accepted token")
        self.token: str = accepted[0]
        self.tokens: frozenset[str] = frozenset(accepted)
        self.limits: LimitConfig = limits or LimitConfig()
        self._host, self._port = host, port
        self._clock = clock
        self._store = Store(clock=clock, owner_uuid=OWNER_UUID, owner_id=OWNER_ID)
        self._limiter = RateLimiter(self.limits)
        self._dispatcher = Dispatcher(
            store=self._store,
            limiter=self._limiter,
            tokens=self.tokens,
            clock=clock,
            date_skew=date_skew,
        )
        self._public_url = public_url.rstrip("/") if public_url else None
        self._dispatcher.record_limit = record_limit
        self.latency = latency
        self._running: tuple[web.AppRunner, socket.socket] | None = None
        self._base_url: str | None = None
        self._seeded = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (``async with`` does this)."""
        if self._running is not None:
            raise RuntimeError("the fake is already running")
        self._dispatcher.closing = asyncio.Event()  # a new one for this loop and run
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._dispatcher.handle)
        # Hanging requests notice `closing` within a poll, so shutdown stays short. Every
        # handler reads the whole body first, so a body still unread after the answer is
        # one that could not be read (bad gzip): close rather than linger reading it again.
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0, lingering_time=0
        )
        await runner.setup()
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        try:
            listening = socket.create_server((self._host, self._port), family=family)
            await web.SockSite(runner, listening).start()
        except OSError:
            await runner.cleanup()
            raise
        self._running = runner, listening
        host, port = listening.getsockname()[:2]
        self._base_url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self._dispatcher.origin = self._public_url or self._base_url

    async def close(self) -> None:
        """Stop listening, dropping any request still hanging; safe to call twice."""
        running, self._running = self._running, None
        if running is None:
            return
        runner, listening = running
        self._dispatcher.closing.set()
        # Stop accepting first and let connections already accepted attach to the server:
        # closing the server under a pending accept leaks its socket (a ResourceWarning)
        # on Python 3.11.
        with contextlib.suppress(NotImplementedError, ValueError):
            asyncio.get_running_loop().remove_reader(listening)
        await asyncio.sleep(0)
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """The root URL clients use, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._base_url is None:
            raise RuntimeError("the fake is not running: use `async with` or `await start()`")
        return self._base_url

    @property
    def latency(self) -> float:
        """Seconds of delay before every answer; settable at any time."""
        return self._dispatcher.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._dispatcher.latency = check_seconds("latency", seconds)

    # -- state ------------------------------------------------------------------------

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

    def seed(self, projects: int = 1000, resources_per_project: int = 0) -> list[dict[str, Any]]:
        """Add numbered projects (``project-00001``, ...) fast; deterministic but for ids."""
        added = _seed.numbered(self._store, self._seeded, projects, resources_per_project)
        self._seeded += projects
        return added

    def seed_demo(self, projects: int = 300, seed: int = 0) -> list[dict[str, Any]]:
        """Add realistic demo projects and resources, the same for the same ``seed``."""
        return _seed.demo(self._store, projects, seed)

    # -- scripts and observation --------------------------------------------------------

    def script(self, operation: str, *steps: int | ScriptedResponse | Fault) -> None:
        """Make the next requests to ``operation`` answer these steps, in order.

        An int status answers a DigitalOcean-shaped error (a 2xx means "behave
        normally"); a `ScriptedResponse` answers exactly that; a `Fault` misbehaves.
        Normal behaviour resumes once the steps are used up.
        """
        if operation not in OPERATION_IDS:
            raise ValueError(f"unknown operation {operation!r}: use the spec's operationId")
        for step in steps:
            if isinstance(step, bool) or not isinstance(step, int | ScriptedResponse | Fault):
                raise TypeError(f"a step is an int, ScriptedResponse or Fault, not {step!r}")
            if isinstance(step, int) and not 100 <= step <= 599:  # noqa: PLR2004
                raise ValueError(f"{step} is not an HTTP status")
        queue: deque[Step] = self._dispatcher.scripts.setdefault(operation, deque())
        queue.extend(steps)

    def clear_script(self, operation: str | None = None) -> None:
        """Forget scripted steps not yet played (of one operation, or all)."""
        if operation is None:
            self._dispatcher.scripts.clear()
        else:
            self._dispatcher.scripts.pop(operation, None)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received, oldest first.

        All of them, or with ``record_limit`` set, the latest ``record_limit`` of them (and at
        times up to a tenth more).
        """
        return self._dispatcher.requests

    def received(self, operation: str | None = None) -> int:
        """How many requests arrived (for one operationId, or all).

        Counted since the start or the last :meth:`clear_requests`, and exact even when
        ``record_limit`` dropped old records from :attr:`requests`.
        """
        counts = self._dispatcher.received
        return counts.total() if operation is None else counts[operation]

    @property
    def record_limit(self) -> int | None:
        """How many requests :attr:`requests` keeps (``None``: all of them)."""
        return self._dispatcher.record_limit

    def clear_requests(self) -> None:
        """Forget the requests received so far: the log and the :meth:`received` counts."""
        self._dispatcher.requests.clear()
        self._dispatcher.received.clear()

    def processed_writes(self, operation: str | None = None) -> int:
        """How many writes (POST/PUT/PATCH/DELETE) were carried out, changing state.

        Refused writes (401, 429, 4xx, scripted errors, unprocessed faults) do not count;
        one processed before a fault dropped its answer does.
        """
        processed = self._dispatcher.processed
        return processed.total() if operation is None else processed[operation]

    def set_remaining(
        self, remaining: int, *, token: str | None = None, reset_in: float | None = None
    ) -> None:
        """Pretend the hourly budget is down to ``remaining`` requests.

        The pretend requests expire ``reset_in`` seconds from now (default: a whole
        hourly window), which is what ``ratelimit-reset`` then reports.
        """
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
