"""`FakeDigitalOcean`: the in-memory Projects API on a loopback port, and its controls."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections import deque
from typing import TYPE_CHECKING, Final, Self

from aiohttp import web

from aiodo_projects._display import counted
from aiodo_projects.testing._account import FakeAccount
from aiodo_projects.testing._faults import Fault, ScriptedResponse, check_seconds
from aiodo_projects.testing._limits import LimitConfig, RateLimiter
from aiodo_projects.testing._routes import OPERATION_IDS
from aiodo_projects.testing._server import Dispatcher, RecordedRequest, Step
from aiodo_projects.testing._state import Store

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
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


class FakeDigitalOcean(FakeAccount):
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
    The fake holds one account (this object's data and tokens); :meth:`add_account` adds
    more, each with its own token, projects and rate limits, served at the same address.
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
        store = Store(clock=clock, owner_uuid=OWNER_UUID, owner_id=OWNER_ID)
        limiter = RateLimiter(limits or LimitConfig())
        super().__init__(
            token=accepted[0],
            tokens=frozenset(accepted),
            store=store,
            limiter=limiter,
            clock=clock,
        )
        self._host, self._port = host, port
        self._accounts: list[FakeAccount] = [self]
        self._dispatcher = Dispatcher(
            stores=dict.fromkeys(self.tokens, store),
            limiter=limiter,
            clock=clock,
            date_skew=date_skew,
        )
        self._public_url = public_url.rstrip("/") if public_url else None
        self._dispatcher.record_limit = record_limit
        self.latency = latency
        self._running: tuple[web.AppRunner, socket.socket] | None = None
        self._base_url: str | None = None

    def __repr__(self) -> str:
        where = self._base_url if self._running is not None else "not running"
        accounts = len(self._accounts)
        projects = sum(len(account.projects) for account in self._accounts)
        limits = "limits enforced" if self.limits.enforce else "limits not enforced"
        return (
            f"<{type(self).__name__} {where}: {counted(accounts, 'account')}, "
            f"{counted(projects, 'project')}, {limits}>"
        )

    # -- accounts ----------------------------------------------------------------------

    def add_account(self, token: str) -> FakeAccount:
        """Add an account of its own (projects, resources, rate limits) opened by ``token``.

        >>> staging = fake.add_account("staging-token")  # doctest: +SKIP
        >>> staging.seed_demo(50, seed=1)  # doctest: +SKIP
        """
        if not isinstance(token, str) or not token.strip() or token != token.strip():
            raise ValueError("an account's token is a non-empty string without outer spaces")
        if token in self._dispatcher.stores:
            raise ValueError("that token already opens an account of this fake")
        number = len(self._accounts)
        store = Store(
            clock=self._clock,
            owner_uuid=f"{OWNER_UUID[:-4]}{number:04x}",
            owner_id=OWNER_ID + number,
        )
        account = FakeAccount(
            token=token,
            tokens=frozenset({token}),
            store=store,
            limiter=self._limiter,
            clock=self._clock,
        )
        self._dispatcher.stores[token] = store
        self._accounts.append(account)
        return account

    @property
    def accounts(self) -> tuple[FakeAccount, ...]:
        """Every account the fake serves, this one first."""
        return tuple(self._accounts)

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
