"""What an answered attempt means, from sample responses: no server, no event loop."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

import pytest

import aiodo_projects as do
from aiodo_projects._protocol import decipher_response, status_error
from tests.test_decoding import SPEC_PROJECT

JSON = {"Content-Type": "application/json; charset=utf-8"}
PROJECT = SPEC_PROJECT  # the OpenAPI description's example project
ONE = json.dumps({"project": PROJECT}).encode()
PAGE = json.dumps({"projects": [PROJECT], "links": {}, "meta": {"total": 1}}).encode()


def decipher(
    status: int,
    body: bytes,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    cut_at: int | None = None,
    expect: Any = do.Project,
) -> Any:
    return decipher_response(
        method,
        "/v2/projects/x",
        status,
        JSON if headers is None else headers,
        body,
        cut_at=cut_at,
        expect=expect,
        now=1_700_000_000.0,
    )


@pytest.mark.parametrize(
    ("status", "body", "expect", "check"),
    [
        (200, ONE, do.Project, lambda value: value.name == "my-web-api"),
        (201, ONE, do.Project, lambda value: value.environment is do.Environment.PRODUCTION),
        (200, PAGE, do.Page[do.Project], lambda value: value.total == 1),
        (204, b"", None, lambda value: value is None),
        (200, ONE, None, lambda value: value is None),  # a body nobody asked for is not decoded
    ],
)
def test_decipher_response_decodes_a_success(
    status: int, body: bytes, expect: Any, check: Any
) -> None:
    assert check(decipher(status, body, expect=expect))


@pytest.mark.parametrize(
    ("status", "body", "headers", "cut_at", "expect", "message"),
    [
        (200, b"", JSON, None, do.Project, "answered 200 with an empty body"),
        (204, b"", JSON, None, do.Project, "answered 204 with an empty body"),
        (200, b"  \n", JSON, None, do.Project, "empty body"),
        (200, ONE, {"Content-Type": "text/html"}, None, do.Project, "text/html content type"),
        (200, ONE, {}, None, do.Project, "no content type instead of JSON"),
        (200, ONE[:10], JSON, 10, do.Project, "a body over the 10-byte cap"),
        (200, ONE[:10], {**JSON, "Content-Length": "999"}, 10, do.Project, "999 bytes, over"),
        (200, ONE[:10], {**JSON, "Content-Encoding": "gzip"}, 10, do.Project, "a gzip body"),
        (200, b"{not json", JSON, None, do.Project, "JSON is malformed"),
        (200, b'{"project": {"id": 1}}', JSON, None, do.Project, "$.project"),
        (200, ONE, JSON, None, do.Page[do.Project], "projects"),
    ],
)
def test_decipher_response_refuses_an_unreadable_success_of_a_read(  # noqa: PLR0917 -- a table row
    status: int,
    body: bytes,
    headers: dict[str, str],
    cut_at: int | None,
    expect: Any,
    message: str,
) -> None:
    with pytest.raises(do.DecodeError) as info:
        decipher(status, body, headers=headers, cut_at=cut_at, expect=expect)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("body", "cut_at", "headers"),
    [
        (b"", None, JSON),
        (ONE, None, {"Content-Type": "text/plain"}),
        (ONE[:10], 10, JSON),
        (b'{"project": []}', None, JSON),
    ],
)
def test_decipher_response_calls_an_unreadable_post_answer_ambiguous(
    body: bytes, cut_at: int | None, headers: dict[str, str]
) -> None:
    with pytest.raises(do.AmbiguousWriteError, match="POST /v2/projects/x may or may") as info:
        decipher(201, body, method="POST", headers=headers, cut_at=cut_at)
    assert isinstance(info.value.__cause__, do.DecodeError)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_decipher_response_keeps_an_idempotent_write_a_decode_error(method: str) -> None:
    with pytest.raises(do.DecodeError):
        decipher(200, b"[]", method=method)


@pytest.mark.parametrize(
    ("status", "body", "headers", "cls", "error_id", "message", "request_id"),
    [
        (
            404,
            b'{"id": "not_found", "message": "The resource was not found.", "request_id": "r1"}',
            JSON,
            do.NotFoundError,
            "not_found",
            "The resource was not found.",
            "r1",
        ),
        (401, b'{"id": "unauthorized"}', {"x-request-id": "h1"}, do.AuthenticationError,
         "unauthorized", '{"id": "unauthorized"}', "h1"),
        (412, b"", {}, do.PreconditionFailedError, "http_412", "(no message)", None),
        (502, b"<html>Bad gateway</html>", {}, do.ServerError, "http_502",
         "<html>Bad gateway</html>", None),
        (418, b'{"id": 5, "message": ["x"]}', {}, do.APIStatusError, "http_418",
         '{"id": 5, "message": ["x"]}', None),
        (400, b"[" * 100_000, {}, do.BadRequestError, "http_400", "[" * 120, None),
    ],
)  # fmt: skip
def test_decipher_response_raises_the_typed_error_of_a_status(  # noqa: PLR0917 -- a table row
    status: int,
    body: bytes,
    headers: dict[str, str],
    cls: type[do.APIStatusError],
    error_id: str,
    message: str,
    request_id: str | None,
) -> None:
    with pytest.raises(cls) as info:
        decipher(status, body, headers=headers, method="POST")
    error = info.value
    assert type(error) is cls
    assert (error.status, error.error_id, error.message, error.request_id) == (
        status,
        error_id,
        message,
        request_id,
    )


def test_status_error_bounds_a_huge_message() -> None:
    body = json.dumps({"id": "x", "message": "m" * 10_000}).encode()
    error = status_error(400, {}, body)
    assert len(error.message) < do.errors.MAX_MESSAGE_LENGTH + 50
    assert "more characters" in error.message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": formatdate(1_700_000_030.0, usegmt=True)}, 30.0),
        ({}, None),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_status_error_times_a_429_by_retry_after(
    headers: dict[str, str], expected: float | None
) -> None:
    error = status_error(429, headers, b"", now=1_700_000_000.0)
    assert isinstance(error, do.RateLimitError)
    assert error.retry_after == expected


def test_status_error_of_a_429_with_a_spent_budget_waits_for_the_reset() -> None:
    limit = do.RateLimit.from_headers(
        {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": "1700000600"}
    )
    error = status_error(429, {}, b"", rate_limit=limit, now=1_700_000_000.0)
    assert isinstance(error, do.RateLimitError)
    assert error.retry_after == 600.0
    assert error.rate_limit is limit
