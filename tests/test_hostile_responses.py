"""A hostile or broken server, served byte for byte by a raw asyncio loopback server.

The body cap bounds what aiohttp decodes (a gzip bomb cannot inflate past it), an error status
decides whatever its body, and the token never shows in an error or in anything chained to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import json
import traceback
import tracemalloc
import zlib
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

MiB = 1 << 20
PROJECT = {"id": "4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679", "name": "web", "is_default": True}
FAST = do.RetryPolicy(backoff_base=0.001, backoff_cap=0.002)

Answer = bytes | list[bytes]  # one response, or its pieces written one after another


def response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def json_response(status: str, data: object, **headers: str) -> bytes:
    body = json.dumps(data).encode()
    fields = {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}
    return response(status, fields, body)


class RawServer:
    """Answers each request with the next scripted bytes, then closes the connection."""

    def __init__(self, answers: list[Answer | Callable[[], Iterator[bytes]]]) -> None:
        self.answers = answers
        self.received = 0
        self.base_url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    await reader.readexactly(int(value))
            answer = self.answers[min(self.received, len(self.answers) - 1)]
            self.received += 1
            pieces = (
                answer() if callable(answer) else [answer] if isinstance(answer, bytes) else answer
            )
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def raw_server(*answers: Answer | Callable[[], Iterator[bytes]]) -> AsyncIterator[RawServer]:
    server = RawServer(list(answers))
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    server.base_url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


def client(server: RawServer, **options: object) -> do.Client:
    options.setdefault("retry_policy", FAST)
    return do.Client(token=TOKEN, base_url=server.base_url, rate_limiter=False, **options)  # type: ignore[arg-type]


def chain(error: BaseException) -> list[BaseException]:
    """The error and every exception reachable through __cause__ and __context__."""
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        exc = pending.pop()
        if any(exc is s for s in seen):
            continue
        seen.append(exc)
        pending.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
    return seen


def assert_no_token(error: BaseException) -> None:
    assert TOKEN not in "".join(traceback.format_exception(error))
    for exc in chain(error):
        assert TOKEN not in str(exc), type(exc)
        assert TOKEN not in repr(exc), type(exc)
        assert TOKEN not in repr(vars(exc)), type(exc)


# -- the cap bounds the decoded body -------------------------------------------------------------

INFLATED = 64 * MiB


def _compressed(wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(MiB)
    parts = [packer.compress(zeros) for _ in range(INFLATED // MiB)]
    return b"".join([*parts, packer.flush()])


def _chunked(body: bytes, size: int = 8192) -> list[bytes]:
    pieces = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return [*pieces, b"0\r\n\r\n"]


@functools.cache
def bombs() -> dict[str, Answer]:
    """Answers whose bodies inflate to 64 MiB (built once, on first use)."""
    gzip_bomb = _compressed(16 + zlib.MAX_WBITS)  # about 64 KiB on the wire
    deflate_bomb = _compressed(zlib.MAX_WBITS)
    return {
        "gzip with Content-Length": response(
            "200 OK",
            {
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(gzip_bomb)),
            },
            gzip_bomb,
        ),
        "deflate with Content-Length": response(
            "200 OK",
            {
                "Content-Type": "application/json",
                "Content-Encoding": "deflate",
                "Content-Length": str(len(deflate_bomb)),
            },
            deflate_bomb,
        ),
        "gzip, chunked": [
            response(
                "200 OK",
                {
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                    "Transfer-Encoding": "chunked",
                },
            ),
            *_chunked(gzip_bomb),
        ],
        "gzip, until the connection closes": response(
            "200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip_bomb
        ),
    }


BOMBS = [
    "gzip with Content-Length",
    "deflate with Content-Length",
    "gzip, chunked",
    "gzip, until the connection closes",
]


@pytest.mark.parametrize("case", BOMBS)
async def test_session_cap_bounds_the_decoded_body_of_a_compression_bomb(case: str) -> None:
    answer = bombs()[case]
    assert sum(map(len, [answer] if isinstance(answer, bytes) else answer)) < MiB < INFLATED
    async with raw_server(answer) as server, client(server, max_body_size=MiB) as api:
        tracemalloc.start()
        try:
            with pytest.raises(do.DecodeError, match="1048576-byte cap") as info:
                await api.projects.get_default()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MiB  # the 64 MiB it would inflate to were never held
    assert info.value.attempts == 1
    assert_no_token(info.value)


async def test_session_cap_stops_reading_an_endless_chunked_body() -> None:
    def endless() -> Iterator[bytes]:
        yield response(
            "200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        )
        piece = b"x" * 65536
        while True:  # never ends: only the client stopping ends it
            yield b"%x\r\n%s\r\n" % (len(piece), piece)

    async with raw_server(endless) as server, client(server, max_body_size=MiB) as api:
        with pytest.raises(do.DecodeError, match="a body over the 1048576-byte cap"):
            await asyncio.wait_for(api.projects.get_default(), 10)


async def test_session_body_exactly_at_the_cap_is_read() -> None:
    body = json.dumps({"project": PROJECT}).encode()
    answer = response(
        "200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        gzip.compress(body),
    )  # fmt: skip
    async with raw_server(answer, answer) as server:
        async with client(server, max_body_size=len(body)) as api:
            assert (await api.projects.get_default()).name == "web"
        async with client(server, max_body_size=len(body) - 1) as api:
            with pytest.raises(do.DecodeError, match="gzip body that decodes to more than"):
                await api.projects.get_default()


# -- an error status decides, whatever its body ----------------------------------------------------

BIG = b"<html>" + b"x" * (2 * MiB) + b"</html>"


def big_error(status: str, **headers: str) -> bytes:
    fields = {"Content-Type": "text/html", "Content-Length": str(len(BIG)), **headers}
    return response(status, fields, BIG)


BIG_ERRORS = [
    big_error("503 Service Unavailable"),
    big_error("429 Too Many", **{"Retry-After": "0"}),
]


@pytest.mark.parametrize("first", BIG_ERRORS, ids=["503", "429"])
async def test_session_error_status_with_a_body_over_the_cap_is_retried(first: bytes) -> None:
    ok = json_response("200 OK", {"project": PROJECT})
    async with raw_server(first, ok) as server, client(server, max_body_size=MiB) as api:
        project = await api.projects.get_default()
    assert project.name == "web"
    assert server.received == 2


async def test_session_error_status_with_a_body_over_the_cap_keeps_its_status() -> None:
    async with (
        raw_server(big_error("503 Service Unavailable")) as server,
        client(server, max_body_size=MiB, max_retries=0) as api,
    ):
        with pytest.raises(do.ServerError) as info:
            await api.projects.get_default()
    assert info.value.status == 503
    assert info.value.message.startswith("<html>xxx")
    assert len(str(info.value)) < 1000


async def test_session_create_answered_201_over_the_cap_is_ambiguous() -> None:
    body = json.dumps({"project": {**PROJECT, "description": "x" * 4000}}).encode()
    created = response("201 Created", {"Content-Type": "application/json",
                                       "Content-Length": str(len(body))}, body)  # fmt: skip
    async with raw_server(created) as server, client(server, max_body_size=1000) as api:
        with pytest.raises(do.AmbiguousWriteError) as info:
            await api.projects.create(name="web", purpose="Web Application")
    assert server.received == 1  # never posted twice
    assert isinstance(info.value.__cause__, do.DecodeError)
    assert "over the 1000-byte cap" in str(info.value)


# -- error messages are bounded and never carry the token ------------------------------------------


async def test_session_huge_error_message_is_bounded() -> None:
    message = "m" * (5 * MiB)
    answer = json_response("422 Unprocessable", {"id": "i" * 10_000, "message": message})
    async with raw_server(answer) as server, client(server) as api:
        with pytest.raises(do.UnprocessableEntityError) as info:
            await api.projects.create(name="web", purpose="Web Application")
    error = info.value
    assert len(error.message) < do.errors.MAX_MESSAGE_LENGTH + 50
    assert error.message.endswith(f"… ({5 * MiB - do.errors.MAX_MESSAGE_LENGTH} more characters)")
    assert len(error.error_id) < do.errors.MAX_MESSAGE_LENGTH + 50
    assert len(str(error)) < 3 * do.errors.MAX_MESSAGE_LENGTH
    assert len(repr(error)) < 3 * do.errors.MAX_MESSAGE_LENGTH


async def test_session_error_echoing_the_authorization_header_is_redacted() -> None:
    echo = f"bad request: Authorization: Bearer {TOKEN}"
    answer = json_response(
        "400 Bad Request",
        {"id": f"bad_{TOKEN}", "message": echo, "request_id": TOKEN},
        **{"x-request-id": TOKEN},
    )
    async with raw_server(answer) as server, client(server) as api:
        with pytest.raises(do.BadRequestError) as info:
            await api.projects.get_default()
    error = info.value
    assert error.message == "bad request: Authorization: Bearer ***"
    assert error.error_id == "bad_***"
    assert error.request_id == "***"
    assert_no_token(error)


async def test_session_decode_error_snippet_echoing_the_token_is_redacted() -> None:
    answer = response("200 OK", {"Content-Type": "text/html"}, f"<p>Bearer {TOKEN}</p>".encode())
    async with raw_server(answer) as server, client(server) as api:
        with pytest.raises(do.DecodeError) as info:
            await api.projects.get_default()
    assert "Bearer ***" in str(info.value)
    assert_no_token(info.value)


MALFORMED = {
    "bad status line": b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}",
    "status line echoing the token": f"HTTP/1.1 2{TOKEN} OK\r\n\r\n".encode(),
    "NUL in a header echoing the token": (
        f"HTTP/1.1 200 OK\r\nX-Echo: Bearer {TOKEN}\0\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    ),
    "duplicate Content-Length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    ),
    "chunk size echoing the token": (
        f"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{TOKEN}\r\n".encode()
    ),
}


@pytest.mark.parametrize("answer", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_session_malformed_response_never_shows_the_token(answer: bytes, method: str) -> None:
    async with raw_server(answer) as server, client(server) as api:
        with pytest.raises(do.DigitalOceanError) as info:
            if method == "GET":
                await api.projects.get_default()
            else:
                await api.projects.create(name="web", purpose="Web Application")
    expected = do.APIConnectionError if method == "GET" else do.AmbiguousWriteError
    assert isinstance(info.value, expected)
    assert any(type(e).__module__.startswith("aiohttp") for e in chain(info.value))
    assert_no_token(info.value)
