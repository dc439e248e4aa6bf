"""The only code that sends requests: the call's loop over attempts, each sent with aiohttp.

Reading a body within the cap and naming a transport error are :mod:`aiodo_projects._transport`.

Every body is read to the end inside ``async with`` so the connection is back in the pool
before any caller code runs. Every attempt, retries included, goes through the rate limiter;
one deadline (``Timeout.total``) covers the limiter's waits, the attempts and the backoff
between them. What an answer means is :func:`aiodo_projects._protocol.decipher_response`;
whether and when to try again is :func:`aiodo_projects._retry.decide_retry`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar, overload

import aiohttp

from aiodo_projects._deadline import Deadline
from aiodo_projects._limiter import WaitTooLong
from aiodo_projects._protocol import decipher_response
from aiodo_projects._ratelimit import RateLimit, RateLimitParser, parse_http_date
from aiodo_projects._redaction import redact_chain
from aiodo_projects._retry import (
    Failure,
    RetryBudget,
    RetryEvent,
    RetryPolicy,
    WaitEvent,
    decide_retry,
    refused,
    status_failure,
    timed_out,
)
from aiodo_projects._transport import AttemptFailed, read_capped, transport_error
from aiodo_projects._version import __version__
from aiodo_projects.errors import (
    APIStatusError,
    APITimeoutError,
    DigitalOceanError,
)

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Mapping

    from yarl import URL

    from aiodo_projects._limiter import Limiter
    from aiodo_projects._options import Timeout

__all__ = ["USER_AGENT", "APISession"]

logger = logging.getLogger("aiodo_projects")

USER_AGENT = f"aiodo-projects/{__version__}"
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None)
_REPORTED_WAIT = 0.001  # shorter limiter waits are the cost of its lock, not waits

T = TypeVar("T")


class APISession:
    """Sends requests to one API origin with one token and turns answers into values or errors.

    Sessions derived from one client (``Client.with_options``) share its ``limiter`` and its
    retry ``budget``.
    """

    def __init__(
        self,
        *,
        token: str,
        get_http: Callable[[], aiohttp.ClientSession],
        timeout: Timeout,
        ssl_context: ssl.SSLContext | None,
        max_body_size: int,
        max_retries: int,
        retry_policy: RetryPolicy,
        budget: RetryBudget | None = None,
        limiter: Limiter | None = None,
        headers: Mapping[str, str] | None = None,
        on_retry: Callable[[RetryEvent], object] | None = None,
        on_wait: Callable[[WaitEvent], object] | None = None,
        http_has_headers: bool = False,
    ) -> None:
        self._get_http = get_http
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._ssl: ssl.SSLContext | bool = True if ssl_context is None else ssl_context
        self._max_body_size = max_body_size
        self._token = token
        self._extra_headers = dict(headers or {})
        self.session_headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        """The headers of every request, whatever the options: a session the client makes
        carries them as its defaults (then ``http_has_headers``), so aiohttp merges nothing
        per request; a borrowed session gets them with each request."""
        self._http_has_headers = http_has_headers
        sent = (
            self._extra_headers
            if http_has_headers
            else {**self._extra_headers, **self.session_headers}
        )
        self._headers = sent or None
        self.max_retries = max_retries
        self.policy = retry_policy
        self.budget = RetryBudget(retry_policy) if budget is None else budget
        self.limiter = limiter
        self._on_retry = on_retry
        self._on_wait = on_wait
        self._date: tuple[str | None, float | None] = (None, None)
        self._parse_rate_limit = RateLimitParser()
        self.rate_limit: RateLimit | None = None

    def __repr__(self) -> str:
        return f"<APISession timeout={self.timeout!r}>"

    def derive(
        self,
        *,
        get_http: Callable[[], aiohttp.ClientSession],
        timeout: Timeout,
        max_retries: int,
        retry_policy: RetryPolicy,
        headers: Mapping[str, str] | None,
    ) -> APISession:
        """Return a session with other settings and more headers, sharing limiter and budget."""
        return APISession(
            token=self._token,
            get_http=get_http,
            timeout=timeout,
            ssl_context=self._ssl_context,
            max_body_size=self._max_body_size,
            max_retries=max_retries,
            retry_policy=retry_policy,
            budget=self.budget,
            limiter=self.limiter,
            headers={**self._extra_headers, **(headers or {})},
            on_retry=self._on_retry,
            on_wait=self._on_wait,
            http_has_headers=self._http_has_headers,
        )

    @overload
    async def request(self, method: str, url: URL, *, body: object = ..., expect: type[T]) -> T: ...

    @overload
    async def request(
        self, method: str, url: URL, *, body: object = ..., expect: None = ...
    ) -> None: ...

    async def request(  # noqa: C901 -- one loop: its branches are where a deadline can find it
        self, method: str, url: URL, *, body: object = None, expect: Any = None
    ) -> Any:
        """Send one call (with its retries) and return its answer decoded as ``expect``.

        ``expect=None`` wants no body (a delete answers 204). Every error the call raises
        carries its attempts and the last rate limit, with the token masked.
        """
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        path = url.path
        policy = self.policy
        budget = self.budget
        limiter = self.limiter
        send = self._send if self.timeout.attempt is None else self._send_bounded
        sent = spent = 0  # attempts that left the client; retry budget taken
        waiting = sending = False  # where the call is, should its deadline pass
        try:
            with Deadline(self.timeout.total) as deadline:
                while True:
                    if limiter is not None:
                        waiting = True
                        await self._acquire(limiter, method, path, sent + 1, deadline)
                        waiting = False
                    sent += 1
                    sending = True
                    try:
                        # One attempt, awaited here rather than through a helper coroutine:
                        # the success path is the common one and every layer costs.
                        status, headers, raw, cut_at = await send(method, url, payload)
                        value = decipher_response(
                            method, path, status, headers, raw, cut_at=cut_at, expect=expect,
                            rate_limit=self._answered(headers), now=time.time(),
                            idempotent_methods=policy.idempotent_methods,
                        )  # fmt: skip
                    except AttemptFailed as failed:
                        failure, error = failed.failure, failed.error
                    except APIStatusError as status_error:
                        found = status_failure(method, status_error.status, policy)
                        if found is None:
                            raise
                        failure, error = found, status_error
                    else:
                        budget.refund(spent)
                        return value
                    sending = False
                    delay, cost = self._next_attempt(
                        method, path, failure, sent, error, deadline=deadline
                    )
                    spent += cost
                    if delay > 0:
                        await asyncio.sleep(delay)
        except TimeoutError as exc:
            if not deadline.expired():
                raise
            error = timed_out(
                method, path, sent, exc, timeout=self.timeout.total, sending=sending,
                waiting=waiting, idempotent_methods=policy.idempotent_methods,
            )  # fmt: skip
            raise self._finished(error, sent) from error.__cause__
        except DigitalOceanError as exc:
            self._finished(exc, sent)
            raise

    def _finished(self, error: DigitalOceanError, sent: int) -> DigitalOceanError:
        """Record the call's attempts and rate limit on its error; mask the token in it."""
        for tagged in (error, error.__cause__):
            if isinstance(tagged, DigitalOceanError):
                tagged.attempts = sent
                if tagged.rate_limit is None:
                    tagged.rate_limit = self.rate_limit
        return redact_chain(error, self._token)

    def _next_attempt(
        self,
        method: str,
        path: str,
        failure: Failure,
        attempt: int,
        error: DigitalOceanError,
        *,
        deadline: Deadline,
    ) -> tuple[float, int]:
        """Carry out the retry decision: return (seconds to sleep, budget spent), or raise."""
        limiter = self.limiter
        retry = decide_retry(
            method, path, failure, attempt, error, policy=self.policy,
            max_retries=self.max_retries, budget=self.budget,
            left=(deadline.when() or 0.0) - asyncio.get_running_loop().time(),
            max_wait=self.timeout.rate_limit_wait, timeout=self.timeout.total,
        )  # fmt: skip
        self.budget.spend(retry.cost)
        logger.debug(
            "%s %s failed (%s, attempt %d); retrying in %.3f s",
            method, path, retry.reason, attempt, retry.delay,
        )  # fmt: skip
        if self._on_retry is not None:
            self._on_retry(RetryEvent(method, path, attempt, retry.reason, retry.delay))
        if retry.shared and limiter is not None:
            limiter.pause(retry.delay)  # every call on this token waits, once, in acquire
            return 0.0, retry.cost
        return retry.delay, retry.cost

    async def _acquire(
        self, limiter: Limiter, method: str, path: str, attempt: int, deadline: Deadline
    ) -> None:
        """Wait for the limiter's permission, within the longest wait and the call's deadline."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        left = (deadline.when() or started) - started
        max_wait = self.timeout.rate_limit_wait
        try:
            await limiter.acquire(min(max_wait, left))
        except WaitTooLong as exc:
            raise refused(
                limiter, method, path, exc.seconds, max_wait=max_wait, timeout=self.timeout.total
            ) from None
        waited = loop.time() - started
        if waited >= _REPORTED_WAIT:
            logger.debug("%s %s waited %.3f s for the rate limiter", method, path, waited)
            if self._on_wait is not None:
                self._on_wait(WaitEvent(method, path, attempt, waited))

    def _answered(self, headers: Mapping[str, str]) -> RateLimit | None:
        """Note an answer's rate limit and give the limiter its token back; return the limit."""
        rate_limit = self._parse_rate_limit(headers)
        if rate_limit is not None:
            self.rate_limit = rate_limit
        if self.limiter is not None:
            self._release(self.limiter, headers, rate_limit)
        return rate_limit

    async def _send_bounded(
        self, method: str, url: URL, payload: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes, int | None]:
        seconds = self.timeout.attempt
        try:
            with Deadline(seconds):
                return await self._send(method, url, payload)
        except TimeoutError as exc:  # only the bound: _send turns aiohttp's into AttemptFailed
            error = APITimeoutError(f"{method} {url.path}: no answer within {seconds:g} s")
            error.__cause__ = exc
            raise AttemptFailed(Failure.TIMEOUT, error) from exc

    def _release(
        self, limiter: Limiter, headers: Mapping[str, str], rate_limit: RateLimit | None
    ) -> None:
        """Tell the limiter an attempt was answered; time ``ratelimit-reset`` by the server."""
        if rate_limit is None:
            limiter.release(answered=True)
            return
        date = headers.get("Date")
        text, server_now = self._date
        if date != text:  # Date changes once a second: parse it once, not per response
            server_now = parse_http_date(date)
            self._date = (date, server_now)
        if server_now is None:
            server_now = time.time()
        reset_in = max(0.0, rate_limit.reset.timestamp() - server_now)
        limiter.release(answered=True, rate_limit=rate_limit, reset_in=reset_in)

    async def _send(
        self, method: str, url: URL, payload: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes, int | None]:
        """Send one request; return its status, headers, body and the cap if it was cut there.

        If it ends without an answer (an error, a cancellation), the limiter gets its token back.
        """
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0
        try:
            async with self._get_http().request(
                method,
                url,
                data=payload,
                headers=self._headers,
                ssl=self._ssl,
                allow_redirects=False,
                timeout=_NO_TIMEOUT,
            ) as resp:
                raw = await read_capped(resp.content, self._max_body_size)
                status, headers = resp.status, resp.headers
        except BaseException as exc:
            if self.limiter is not None:
                self.limiter.release(answered=False)
            if not isinstance(exc, aiohttp.ClientError):
                raise
            raise transport_error(method, url.path, exc) from exc
        if debug:
            logger.debug(
                "%s %s -> %s in %.1f ms",
                method,
                url.path_qs,
                status,
                (time.perf_counter() - started) * 1000,
            )
        cap = self._max_body_size
        if len(raw) > cap:
            return status, headers, raw[:cap], cap
        return status, headers, raw, None
