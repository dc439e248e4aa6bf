"""The HTTP side of the fake: one aiohttp handler for every request.

It records the request, applies latency, authenticates, counts the request in the rate
limiter, plays the next scripted step if any, and otherwise answers from the state.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from aiodo_projects.testing._faults import Fault, FaultKind, ScriptedResponse, nginx_page
from aiodo_projects.testing._routes import WRITE_METHODS, Call, answer, route
from aiodo_projects.testing._wire import JSON_CONTENT_TYPE, ApiError, dumps

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiodo_projects.testing._limits import RateLimiter, Verdict
    from aiodo_projects.testing._state import Store

Step: TypeAlias = int | ScriptedResponse | Fault
_POLL: Final = 0.02  # how often a hanging request checks for a disconnect


@dataclass(slots=True)
class RecordedRequest:
    """One request the fake received, in arrival order.

    ``json`` is the parsed body (None when empty or not JSON), ``operation`` the spec's
    operationId (None for an unknown path), ``status`` what was answered (None when the
    connection was dropped without an answer), ``time`` the fake's clock on arrival.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    json: Any
    operation: str | None
    status: int | None
    body: bytes
    time: float


@dataclass(slots=True, frozen=True)
class _Answering:
    """One authenticated request being answered, and the account its token opens."""

    request: web.Request
    record: RecordedRequest
    ref: str
    verdict: Verdict
    store: Store


class Dispatcher:
    """Answers every request for a `FakeDigitalOcean`."""

    def __init__(
        self,
        *,
        stores: dict[str, Store],
        limiter: RateLimiter,
        clock: Callable[[], float],
        date_skew: float,
    ) -> None:
        self.stores = stores  # token -> the account it opens; tokens may share an account
        self.limiter = limiter
        self.clock = clock
        self.date_skew = date_skew
        # The origin page links name: the fake's own address (or its public_url), set when
        # it starts. Never the request's Host header, which any client can set.
        self.origin = ""
        self.latency = 0.0
        self.requests: list[RecordedRequest] = []
        self.record_limit: int | None = None
        self.received: Counter[str | None] = Counter()
        self.processed: Counter[str] = Counter()
        self.scripts: dict[str, deque[Step]] = {}
        self.closing = asyncio.Event()

    def record(self, record: RecordedRequest) -> None:
        """Count a request and log it, dropping the oldest records beyond ``record_limit``.

        Records are dropped a tenth of the limit at a time, so the log costs O(1) per request.
        """
        self.received[record.operation] += 1
        self.requests.append(record)
        limit = self.record_limit
        if limit is not None and len(self.requests) > limit + limit // 10:
            del self.requests[: len(self.requests) - limit]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request (the aiohttp handler)."""
        now = self.clock()
        body_error = None
        try:
            raw = await request.read()
        except web.RequestPayloadError:  # a body that is not the gzip or deflate it claims
            raw, body_error = b"", ApiError(400, "the body does not match its Content-Encoding")
        try:
            operation: str | None
            operation, ref = route(request.method, request.path)
            route_error = None
        except ApiError as exc:
            operation, ref, route_error = None, "", exc
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        record = RecordedRequest(
            request.method, request.path, dict(request.query), headers, _loads(raw),
            operation, None, raw, now,
        )  # fmt: skip
        self.record(record)
        if self.latency > 0 and not await self._pause(self.latency):
            return _drop(request)
        token = _bearer(request.headers.get("Authorization", ""))
        store = None if token is None else self.stores.get(token)
        if token is None or store is None:
            return self._error(record, ApiError(401), self.limiter.peek(None, now))
        verdict = self.limiter.admit(token, now)
        if not verdict.admitted:
            return self._error(record, ApiError(429), verdict)
        if route_error is not None or operation is None:
            return self._error(record, route_error or ApiError(404), verdict)
        if body_error is not None:
            return self._error(record, body_error, verdict)
        queue = self.scripts.get(operation)
        step: Step = queue.popleft() if queue else 200
        return await self._play(step, _Answering(request, record, ref, verdict, store))

    async def _play(self, step: Step, at: _Answering) -> web.StreamResponse:
        record, verdict = at.record, at.verdict
        if isinstance(step, Fault):
            return await self._fault(step, at)
        if isinstance(step, ScriptedResponse):
            return self._scripted(step, record, verdict)
        if 200 <= step < 300:  # noqa: PLR2004
            return self._normal(at)
        retry = {"Retry-After": "1"} if step == HTTPStatus.TOO_MANY_REQUESTS else {}
        return self._error(record, ApiError(step), verdict, headers=retry)

    async def _fault(  # noqa: PLR0911 - one answer per kind of fault
        self, fault: Fault, at: _Answering
    ) -> web.StreamResponse:
        request, record, verdict = at.request, at.record, at.verdict
        match fault.kind:
            case FaultKind.LATENCY:
                if not await self._pause(fault.seconds):
                    return _drop(request)
                return self._normal(at)
            case FaultKind.CLOSE_BEFORE_RESPONSE:
                return _drop(request)
            case FaultKind.RESET_AFTER_PROCESSING:
                self._normal(at)
                record.status = None
                return _drop(request)
            case FaultKind.TRUNCATED_BODY:
                return await self._truncated(at)
            case FaultKind.HANG:
                while not self.closing.is_set() and _connected(request):
                    await self._pause(_POLL)
                return _drop(request)
            case FaultKind.INVALID_JSON:
                return self._respond(record, 200, b'{"projects": [', verdict)
            case FaultKind.HTML_ERROR:
                return self._html(record, fault.status)
            case _:  # FaultKind.SKEWED_DATE
                return self._normal(at, fault.seconds)

    def _html(self, record: RecordedRequest, status: int) -> web.Response:
        """Answer as an nginx proxy would: HTML, and none of the API's own headers."""
        record.status = status
        date = formatdate(self.clock() + self.date_skew, usegmt=True)
        headers = {"Date": date, "Server": "nginx", "Content-Type": "text/html"}
        return web.Response(
            status=status, text=nginx_page(status, HTTPStatus(status).phrase), headers=headers
        )

    def _normal(self, at: _Answering, skew: float = 0.0) -> web.Response:
        request, record, verdict = at.request, at.record, at.verdict
        operation = record.operation or ""
        call = Call(
            ref=at.ref,
            raw=record.body,
            query=request.query,
            page_url=self.origin + request.path,
            content_type=request.headers.get("Content-Type", ""),
        )
        try:
            status, body = answer(at.store, operation, call)
        except ApiError as exc:
            return self._error(record, exc, verdict)
        if record.method in WRITE_METHODS:
            self.processed[operation] += 1
        return self._respond(record, status, body, verdict, skew=skew)

    async def _truncated(self, at: _Answering) -> web.StreamResponse:
        request, record = at.request, at.record
        full = self._normal(at)
        body = full.body if isinstance(full.body, bytes) else b""
        response = web.StreamResponse(status=full.status, headers=full.headers)
        response.content_length = len(body) + 64
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        record.status = None
        return _drop(request)

    def _scripted(
        self, step: ScriptedResponse, record: RecordedRequest, verdict: Verdict
    ) -> web.Response:
        if step.json is not None:
            body: bytes | None = dumps(step.json)
        elif isinstance(step.body, str):
            body = step.body.encode()
        else:
            body = step.body
        return self._respond(
            record,
            step.status,
            body,
            verdict,
            content_type=step.content_type or JSON_CONTENT_TYPE,
            headers=step.headers,
        )

    def _error(
        self,
        record: RecordedRequest,
        error: ApiError,
        verdict: Verdict,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        request_id = str(uuid.uuid4())
        body = dumps(error.body(request_id))
        return self._respond(
            record, error.status, body, verdict, headers=headers, request_id=request_id
        )

    def _respond(
        self,
        record: RecordedRequest,
        status: int,
        body: bytes | None,
        verdict: Verdict,
        *,
        content_type: str = JSON_CONTENT_TYPE,
        headers: Mapping[str, str] | None = None,
        skew: float = 0.0,
        request_id: str | None = None,
    ) -> web.Response:
        skew += self.date_skew
        answer_headers = {
            "Date": formatdate(self.clock() + skew, usegmt=True),
            "x-request-id": request_id or str(uuid.uuid4()),
            **verdict.headers(skew),
        }
        if body is not None:
            answer_headers["Content-Type"] = content_type
        answer_headers.update(headers or {})
        record.status = status
        return web.Response(status=status, body=body, headers=answer_headers)

    async def _pause(self, seconds: float) -> bool:
        """Sleep, unless the fake closes first; return whether to go on."""
        try:
            await asyncio.wait_for(self.closing.wait(), seconds)
        except TimeoutError:
            return True
        return False


def _bearer(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _loads(raw: bytes) -> Any:  # noqa: ANN401 - whatever JSON the client sent
    try:
        return json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        return None


def _connected(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _drop(request: web.Request) -> web.Response:
    """Close the connection unanswered; aiohttp then fails to send the returned stub."""
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response()
