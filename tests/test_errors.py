from __future__ import annotations

import traceback
from typing import NamedTuple

import pytest
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

import aiodo_projects as do
from aiodo_projects._redaction import redact_chain
from aiodo_projects.errors import MAX_MESSAGE_LENGTH, bounded, error_class_for_status

SECRET = "dop_v1_secret\\quote'd"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, do.BadRequestError),
        (401, do.AuthenticationError),
        (403, do.PermissionDeniedError),
        (404, do.NotFoundError),
        (409, do.ConflictError),
        (412, do.PreconditionFailedError),
        (415, do.APIStatusError),
        (422, do.UnprocessableEntityError),
        (429, do.RateLimitError),
        (500, do.ServerError),
        (502, do.ServerError),
        (503, do.ServerError),
        (599, do.ServerError),
        (302, do.APIStatusError),
    ],
)
def test_error_class_for_status_table(status: int, cls: type[do.APIStatusError]) -> None:
    assert error_class_for_status(status) is cls


def test_error_tree_matches_the_design() -> None:
    assert issubclass(do.ValidationError, do.DigitalOceanError)
    assert issubclass(do.ValidationError, ValueError)
    assert issubclass(do.APITimeoutError, do.APIConnectionError)
    assert issubclass(do.APIConnectionError, do.DigitalOceanError)
    assert issubclass(do.DecodeError, do.DigitalOceanError)
    assert issubclass(do.AmbiguousWriteError, do.DigitalOceanError)
    for cls in (
        do.BadRequestError,
        do.AuthenticationError,
        do.PermissionDeniedError,
        do.NotFoundError,
        do.ConflictError,
        do.PreconditionFailedError,
        do.UnprocessableEntityError,
        do.RateLimitError,
        do.ServerError,
    ):
        assert issubclass(cls, do.APIStatusError)


def test_error_str_names_status_id_message_and_request_id() -> None:
    error = do.NotFoundError(
        404, "not_found", "The resource you requested could not be found.", request_id="abc-123"
    )
    assert str(error) == (
        "404 not_found: The resource you requested could not be found. (request_id=abc-123)"
    )
    assert str(do.ServerError(500, "server_error", "boom")) == "500 server_error: boom"


def test_error_tree_is_drawn_in_the_errors_module_docstring() -> None:
    doc = do.errors.__doc__ or ""
    for name in do.errors.__all__:
        if name.endswith("Error"):
            assert name in doc


def test_decode_error_shows_a_snippet() -> None:
    error = do.DecodeError("bad body", snippet="<html>")
    assert "<html>" in str(error)
    assert error.snippet == "<html>"


def test_bounded_cuts_long_text_and_says_how_much() -> None:
    assert bounded("x" * MAX_MESSAGE_LENGTH) == "x" * MAX_MESSAGE_LENGTH
    assert bounded("abcdef", 2) == "ab… (4 more characters)"


def test_rate_limit_error_str_shows_a_status_only_when_one_came() -> None:
    came = do.RateLimitError(429, "too_many_requests", "slow down")
    assert str(came) == "429 too_many_requests: slow down"
    refused = do.RateLimitError(do.RateLimitError.NOT_SENT, "hourly_budget_spent", "not sent")
    assert str(refused) == "hourly_budget_spent: not sent"


class _Info(NamedTuple):
    method: str
    headers: object


class _HoldingError(Exception):
    """An error keeping what aiohttp's errors keep: request info, headers, a nested error."""

    info: _Info
    headers: CIMultiDict[str]
    plain: MultiDictProxy[str]
    multi: MultiDict[str]
    mapping: dict[str, list[object]]
    untouched: dict[str, str]
    os_error: OSError


def test_redact_chain_masks_every_place_an_error_shows_the_secret() -> None:
    inner = OSError(5, f"refused for {SECRET}")
    error = _HoldingError(f"failed: {SECRET}", SECRET.encode())
    error.info = _Info("GET", CIMultiDictProxy(CIMultiDict(Authorization=f"Bearer {SECRET}")))
    error.headers = CIMultiDict(Echo=SECRET)
    error.plain = MultiDictProxy(MultiDict(a=SECRET))
    error.multi = MultiDict(a=SECRET)
    error.mapping = {"a": [SECRET, 1]}
    error.untouched = {"a": "b"}
    error.os_error = inner
    error.add_note(f"note with {SECRET!r}")
    try:
        raise error from ValueError(repr(SECRET.encode()))
    except _HoldingError as raised:
        caught = raised
    assert redact_chain(caught, SECRET) is caught
    assert caught.args == ("failed: ***", b"***")
    assert isinstance(caught.info, _Info)
    assert isinstance(caught.info.headers, CIMultiDictProxy)
    assert caught.info.headers["authorization"] == "Bearer ***"
    assert isinstance(caught.headers, CIMultiDict)
    assert isinstance(caught.plain, MultiDictProxy)
    assert isinstance(caught.multi, MultiDict)
    assert caught.mapping == {"a": ["***", 1]}
    assert inner.strerror == "refused for ***"
    text = "".join(traceback.format_exception(caught)) + repr(vars(caught)) + str(inner)
    for shown in (SECRET, repr(SECRET)[1:-1], repr(SECRET.encode())[2:-1]):
        assert shown not in text


def test_redact_chain_without_a_secret_changes_nothing() -> None:
    error = ValueError("x")
    assert redact_chain(error, "") is error
    assert error.args == ("x",)
