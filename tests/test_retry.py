"""The pure retry rules: RetryPolicy, backoff, the budget, the decision, Retry-After parsing."""

from __future__ import annotations

import math
import random
from email.utils import formatdate
from typing import Any

import pytest

from aiodo_projects._ratelimit import parse_http_date, reset_in_seconds, retry_after_seconds
from aiodo_projects._retry import Failure, Retry, RetryBudget, RetryPolicy, decide_retry
from aiodo_projects.errors import (
    AmbiguousWriteError,
    APIConnectionError,
    DigitalOceanError,
    RateLimitError,
    ServerError,
    ValidationError,
)

SERVER_NOW = 1_700_000_000.0
SERVER_DATE = formatdate(SERVER_NOW, usegmt=True)


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


# -- RetryPolicy --------------------------------------------------------------------------------


def test_retry_policy_defaults() -> None:
    policy = RetryPolicy()
    assert policy.retry_statuses == frozenset({500, 502, 503, 504})
    assert "POST" not in policy.idempotent_methods
    assert {"GET", "PUT", "PATCH", "DELETE"} <= policy.idempotent_methods
    assert not hasattr(policy, "max_retries")  # Client(max_retries=...) is the one way
    assert not hasattr(policy, "attempt_timeout")  # Timeout(attempt=...) is the one way


@pytest.mark.parametrize(
    ("method", "failure", "expected"),
    [
        ("GET", Failure.STATUS, True),
        ("PUT", Failure.LOST, True),
        ("PATCH", Failure.TIMEOUT, True),
        ("DELETE", Failure.NOT_SENT, True),
        ("POST", Failure.RATE_LIMITED, True),
        ("POST", Failure.NOT_SENT, True),
        ("POST", Failure.STATUS, False),
        ("POST", Failure.LOST, False),
        ("POST", Failure.TIMEOUT, False),
    ],
)
def test_retry_policy_may_retry_only_what_was_not_processed_or_is_idempotent(
    method: str, failure: Failure, expected: bool
) -> None:
    assert RetryPolicy().may_retry(method, failure) is expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backoff_base": -0.1},
        {"backoff_cap": math.inf},
        {"backoff_base": math.nan},
        {"backoff_base": True},
        {"backoff_cap": "8"},
        {"retry_budget": -5},
        {"retry_budget": True},
        {"retry_cost": -1},
        {"timeout_retry_cost": 1.5},
    ],
)
def test_retry_policy_rejects_bad_values_naming_the_field(kwargs: dict[str, object]) -> None:
    (name,) = kwargs
    with pytest.raises(ValidationError, match=f"RetryPolicy.{name} must be"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_retry_policy_backoff_is_full_jitter_within_the_capped_exponential() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=4.0)
    rng = random.Random(7)  # noqa: S311 -- jitter, not cryptography
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0), (10_000, 4.0)]:
        delays = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed delay
        assert min(delays) < ceiling * 0.2


def test_retry_policy_backoff_without_rng_uses_the_module_generator() -> None:
    assert 0.0 <= RetryPolicy(backoff_base=1.0).backoff(0) <= 1.0


# -- RetryBudget -------------------------------------------------------------------------------


def test_retry_budget_costs_timeouts_more_and_429s_nothing() -> None:
    budget = RetryBudget(RetryPolicy(retry_budget=12, retry_cost=5, timeout_retry_cost=10))
    assert budget.cost(Failure.STATUS) == 5
    assert budget.cost(Failure.LOST) == 5
    assert budget.cost(Failure.TIMEOUT) == 10
    assert budget.cost(Failure.RATE_LIMITED) == 0
    budget.spend(10)
    assert budget.tokens == 2
    assert "2/12" in repr(budget)


def test_retry_budget_refund_returns_the_spent_cost_or_one_capped_at_capacity() -> None:
    budget = RetryBudget(RetryPolicy(retry_budget=20, retry_cost=5))
    budget.spend(5)
    budget.spend(5)
    budget.refund(5)
    assert budget.tokens == 15
    budget.refund(0)
    assert budget.tokens == 16
    for _ in range(10):
        budget.refund(0)
    assert budget.tokens == 20


# -- decide_retry: one pure decision between attempts -------------------------------------------


def _decide(
    method: str,
    failure: Failure,
    error: DigitalOceanError,
    *,
    attempt: int = 1,
    max_retries: int = 3,
    left: float = 30.0,
    max_wait: float = 60.0,
    budget: RetryBudget | None = None,
) -> Retry:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=4.0)
    return decide_retry(
        method, "/v2/projects", failure, attempt, error, policy=policy, max_retries=max_retries,
        budget=budget or RetryBudget(policy), left=left, max_wait=max_wait, timeout=30.0,
    )  # fmt: skip


def _server_error() -> ServerError:
    return ServerError(503, "unavailable", "try later")


def _rate_limited(retry_after: float | None) -> RateLimitError:
    return RateLimitError(429, "too_many_requests", "slow down", retry_after=retry_after)


def test_decide_retry_backs_off_a_transient_get_within_the_policy() -> None:
    retry = _decide("GET", Failure.STATUS, _server_error(), attempt=2)
    assert 0.0 <= retry.delay <= 1.0  # the second retry: uniform(0, 0.5 * 2)
    assert (retry.shared, retry.cost, retry.reason) == (False, 5, "503")


def test_decide_retry_shares_a_429_pause_and_costs_no_budget() -> None:
    retry = _decide("POST", Failure.RATE_LIMITED, _rate_limited(2.5))
    assert retry == Retry(delay=2.5, shared=True, cost=0, reason="429")


def test_decide_retry_backs_off_a_429_without_retry_after_and_records_the_wait() -> None:
    error = _rate_limited(None)
    retry = _decide("GET", Failure.RATE_LIMITED, error, attempt=3)
    assert retry.delay == 2.0  # 0.5 * 2**2, no jitter: every call waits the same
    assert error.retry_after == 2.0


@pytest.mark.parametrize("failure", [Failure.STATUS, Failure.LOST, Failure.TIMEOUT])
def test_decide_retry_calls_a_write_that_may_have_happened_ambiguous(failure: Failure) -> None:
    cause = _server_error()
    with pytest.raises(AmbiguousWriteError, match="POST /v2/projects may or may not") as info:
        _decide("POST", failure, cause)
    assert info.value.__cause__ is cause


def test_decide_retry_repeats_a_post_that_was_never_sent() -> None:
    error = APIConnectionError("connect failed")
    assert _decide("POST", Failure.NOT_SENT, error).reason == "APIConnectionError"


@pytest.mark.parametrize(
    ("kwargs", "error", "note"),
    [
        ({"attempt": 4}, _server_error(), "gave up after 4 attempts"),
        ({"left": 0.0}, _server_error(), "timeout would pass"),
        ({"max_wait": 1.0}, _rate_limited(5.0), "over the 1 s ceiling"),
        ({"left": 1.0}, _rate_limited(5.0), "timeout would pass"),
        ({"budget": RetryBudget(RetryPolicy(retry_budget=4))}, _server_error(), "budget is spent"),
    ],
)
def test_decide_retry_raises_the_error_with_a_note_saying_why(
    kwargs: dict[str, Any], error: DigitalOceanError, note: str
) -> None:
    with pytest.raises(type(error)) as info:
        _decide(
            "GET",
            Failure.RATE_LIMITED if isinstance(error, RateLimitError) else Failure.STATUS,
            error,
            **kwargs,
        )
    assert info.value is error
    assert any(note in text for text in error.__notes__)


def test_decide_retry_with_no_retries_raises_without_a_note() -> None:
    error = _server_error()
    with pytest.raises(ServerError):
        _decide("GET", Failure.STATUS, error, max_retries=0)
    assert not hasattr(error, "__notes__")


def test_decide_retry_spends_nothing_itself() -> None:
    budget = RetryBudget(RetryPolicy())
    _decide("GET", Failure.STATUS, _server_error(), budget=budget)
    assert budget.tokens == 500  # the session's loop spends what the decision says


# -- Retry-After and ratelimit-reset, with the local clock off the server's Date -----------------

RETRY_AFTER_TABLE: list[tuple[str | None, float | None]] = [
    (None, None),
    ("120", 120.0),
    (" 30 ", 30.0),
    ("1.5", 1.5),
    ("0", 0.0),
    ("0.0", 0.0),
    ("-10", None),
    ("-0.5", None),
    ("inf", None),
    ("-inf", None),
    ("Infinity", None),
    ("nan", None),
    ("NaN", None),
    ("1e30", 1e30),
    ("999999999999999999999", 1e21),
    (http_date(SERVER_NOW + 90), 90.0),
    (http_date(SERVER_NOW + 3600), 3600.0),
    (http_date(SERVER_NOW - 90), 0.0),
    (http_date(0), 0.0),
    ("", None),
    ("soon", None),
    ("12 seconds", None),
    ("Wed, 99 Foo 2015 07:28:00 GMT", None),
    ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: not an HTTP date
    ("0x10", None),
]


@pytest.mark.parametrize("local_skew", [-300.0, 0.0, 300.0])
@pytest.mark.parametrize(("value", "expected"), RETRY_AFTER_TABLE)
def test_retry_after_seconds_table_is_independent_of_the_local_clock(
    value: str | None, expected: float | None, local_skew: float
) -> None:
    headers = {"Date": SERVER_DATE}
    if value is not None:
        headers["Retry-After"] = value
    got = retry_after_seconds(headers, SERVER_NOW + local_skew)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize("local_skew", [-300.0, 300.0])
def test_retry_after_http_date_without_date_header_uses_the_local_clock(local_skew: float) -> None:
    headers = {"Retry-After": http_date(SERVER_NOW + 400)}
    assert retry_after_seconds(headers, SERVER_NOW + local_skew) == pytest.approx(400 - local_skew)


def test_retry_after_with_a_garbled_date_header_falls_back_to_the_local_clock() -> None:
    headers = {"Retry-After": http_date(SERVER_NOW + 60), "Date": "yesterday"}
    assert retry_after_seconds(headers, SERVER_NOW) == pytest.approx(60.0)


@pytest.mark.parametrize("local_skew", [-300.0, 0.0, 300.0])
@pytest.mark.parametrize(
    ("reset_offset", "expected"), [(45.0, 45.0), (3600.0, 3600.0), (0.0, 0.0), (-30.0, 0.0)]
)
def test_reset_in_seconds_is_measured_from_the_servers_date(
    reset_offset: float, expected: float, local_skew: float
) -> None:
    headers = {"Date": SERVER_DATE}
    got = reset_in_seconds(SERVER_NOW + reset_offset, headers, SERVER_NOW + local_skew)
    assert got == pytest.approx(expected)


def test_reset_in_seconds_without_date_uses_the_local_clock() -> None:
    assert reset_in_seconds(SERVER_NOW + 50, {}, SERVER_NOW + 20) == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SERVER_DATE, SERVER_NOW),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777.0),
        ("Sun Nov  6 08:49:37 1994", None),  # asctime carries no zone
        (None, None),
        ("", None),
        ("not a date", None),
    ],
)
def test_parse_http_date_table(value: str | None, expected: float | None) -> None:
    assert parse_http_date(value) == expected
