"""Every bad Client argument is a ValidationError at construction, naming the argument."""

from __future__ import annotations

import math
import ssl
from typing import Any

import aiohttp
import pytest

import aiodo_projects as do
from tests.conftest import TOKEN

BAD_OPTIONS: list[tuple[str, object]] = [
    ("timeout", 0),
    ("timeout", -1),
    ("timeout", "30"),
    ("timeout", None),
    ("timeout", True),  # a bool is not a number of seconds
    ("timeout", math.nan),
    ("timeout", math.inf),
    ("max_body_size", 0),
    ("max_body_size", "16"),
    ("max_body_size", math.nan),
    ("max_body_size", 16.0),
    ("max_body_size", True),
    ("max_retries", -1),
    ("max_retries", 1.5),
    ("max_retries", "3"),
    ("max_retries", True),
    ("retry_policy", "x"),
    ("retry_policy", {"max_retries": 1}),
    ("ssl", False),
    ("ssl", True),
    ("ssl", "verify"),
    ("on_retry", "print"),
    ("on_wait", 42),
    ("session", "session"),
    ("session", object()),
    ("trace_configs", "trace"),
    ("trace_configs", [object()]),
    ("trace_configs", 1),
    ("rate_limiter", "yes"),
    ("rate_limiter", object()),
    ("rate_limiter", 1),
    ("rate_limiter", None),  # off is False: one way to say it
    ("timeout", (30.0, 5.0)),
]

# The fields of the value objects, each checked as the object is made.
BAD_FIELDS: list[tuple[type[Any], str, object]] = [
    (do.Timeout, "total", 0),
    (do.Timeout, "total", math.inf),
    (do.Timeout, "total", "30"),
    (do.Timeout, "total", True),
    (do.Timeout, "attempt", 0),
    (do.Timeout, "attempt", math.nan),
    (do.Timeout, "attempt", "5"),
    (do.Timeout, "rate_limit_wait", -1.0),
    (do.Timeout, "rate_limit_wait", math.nan),
    (do.Timeout, "rate_limit_wait", "60"),
    (do.Timeout, "rate_limit_wait", None),
    (do.RateLimits, "burst_limit", 0),
    (do.RateLimits, "burst_limit", 2.5),
    (do.RateLimits, "burst_limit", "240"),
    (do.RateLimits, "burst_limit", True),
    (do.RateLimits, "burst_window", 0),
    (do.RateLimits, "burst_window", -1.0),
    (do.RateLimits, "burst_window", math.inf),
    (do.RateLimits, "burst_window", math.nan),
    (do.RateLimits, "burst_window", "60"),
    (do.RateLimits, "hourly", "yes"),
    (do.RateLimits, "hourly", 1),
    (do.RateLimits, "hourly", None),
]


@pytest.mark.parametrize(("cls", "field", "value"), BAD_FIELDS)
def test_value_object_bad_field_is_a_validation_error_naming_it(
    cls: type[Any], field: str, value: object
) -> None:
    with pytest.raises(do.ValidationError, match=rf"{cls.__name__}\.{field} must be"):
        cls(**{field: value})


@pytest.mark.parametrize(("option", "value"), BAD_OPTIONS)
def test_client_bad_option_is_a_validation_error_naming_it(option: str, value: object) -> None:
    kwargs: dict[str, Any] = {option: value}
    with pytest.raises(do.ValidationError, match=option):
        do.Client(token=TOKEN, base_url="http://127.0.0.1:9", **kwargs)


@pytest.mark.parametrize(
    "token",
    [123, b"dop_v1_x", ["dop"], "abc\x0bdef", "abc\x7fdef", "abc def", "abc\r\nX: 1", "tök\u00e9n"],
)
def test_client_bad_token_is_a_validation_error_that_never_shows_it(token: object) -> None:
    with pytest.raises(do.ValidationError, match="token") as info:
        do.Client(token=token)  # type: ignore[arg-type]
    if isinstance(token, str):
        assert token.strip() not in str(info.value)
        assert "abc" not in str(info.value)


def test_client_bad_token_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", "secret\x7fpart")
    with pytest.raises(do.ValidationError, match="DIGITALOCEAN_TOKEN") as info:
        do.Client()
    assert "secret" not in str(info.value)


def test_client_token_surrounding_whitespace_is_dropped() -> None:
    client = do.Client(token=f"  {TOKEN}\n", base_url="http://127.0.0.1:9")
    assert client._api.session_headers["Authorization"] == f"Bearer {TOKEN}"


def test_client_accepts_every_documented_option_type() -> None:
    def meter(event: object) -> None:
        del event

    client = do.Client(
        token=TOKEN,
        base_url="https://api.digitalocean.com/",
        # never raise on a long rate-limit wait: wait within the call's timeout
        timeout=do.Timeout(total=5, attempt=1, rate_limit_wait=math.inf),
        ssl=ssl.create_default_context(),
        max_body_size=1024,
        max_retries=0,
        retry_policy=do.RetryPolicy(),
        rate_limiter=do.RateLimits(burst_limit=10, burst_window=1, hourly=False),
        on_retry=meter,
        on_wait=meter,
        trace_configs=(aiohttp.TraceConfig(),),
    )
    assert isinstance(client.rate_limiter, do.TokenBucketLimiter)
    assert client.rate_limiter.settings == (10, 1.0, False)
    assert client.timeout == do.Timeout(5.0, 1.0, math.inf)


def test_client_timeout_as_a_number_bounds_the_whole_call() -> None:
    client = do.Client(token=TOKEN, timeout=2)
    assert client.timeout == do.Timeout(total=2.0, attempt=None, rate_limit_wait=60.0)
    assert do.Client(token=TOKEN).timeout == do.Timeout()


async def test_client_refuses_a_closed_borrowed_session() -> None:
    session = aiohttp.ClientSession()
    await session.close()
    with pytest.raises(do.ValidationError, match="session is closed"):
        do.Client(token=TOKEN, session=session)
