"""The pure retry rules: RetryPolicy, backoff, the retry budget and Retry-After parsing."""

from __future__ import annotations

import math
import random
from email.utils import formatdate

import pytest

from aiodo_projects._retry import (
    Failure,
    RetryBudget,
    RetryPolicy,
    parse_http_date,
    reset_in_seconds,
    retry_after_seconds,
)

SERVER_NOW = 1_700_000_000.0
SERVER_DATE = formatdate(SERVER_NOW, usegmt=True)


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


# -- RetryPolicy --------------------------------------------------------------------------------


def test_retry_policy_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == 3
    assert policy.retry_statuses == frozenset({500, 502, 503, 504})
    assert "POST" not in policy.idempotent_methods
    assert {"GET", "PUT", "PATCH", "DELETE"} <= policy.idempotent_methods
    assert policy.attempt_timeout is None


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
        {"max_retries": -1},
        {"max_retries": True},
        {"max_retries": 1.5},
        {"backoff_base": -0.1},
        {"backoff_cap": math.inf},
        {"backoff_base": math.nan},
        {"attempt_timeout": 0},
        {"attempt_timeout": math.inf},
        {"retry_budget": -5},
        {"retry_cost": -1},
    ],
)
def test_retry_policy_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
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


def test_retry_budget_spends_until_short_then_refuses() -> None:
    budget = RetryBudget(RetryPolicy(retry_budget=12, retry_cost=5, timeout_retry_cost=10))
    assert budget.spend(Failure.STATUS) == 5
    assert budget.spend(Failure.LOST) == 5
    assert budget.tokens == 2
    assert budget.spend(Failure.STATUS) is None
    assert budget.spend(Failure.TIMEOUT) is None
    assert budget.tokens == 2
    assert "2/12" in repr(budget)


def test_retry_budget_timeouts_cost_more_and_429s_cost_nothing() -> None:
    budget = RetryBudget(RetryPolicy(retry_budget=10, retry_cost=5, timeout_retry_cost=10))
    assert budget.spend(Failure.RATE_LIMITED) == 0
    assert budget.spend(Failure.TIMEOUT) == 10
    assert budget.spend(Failure.RATE_LIMITED) == 0
    assert budget.tokens == 0


def test_retry_budget_refund_returns_the_spent_cost_or_one_capped_at_capacity() -> None:
    budget = RetryBudget(RetryPolicy(retry_budget=20, retry_cost=5))
    budget.spend(Failure.STATUS)
    budget.spend(Failure.STATUS)
    budget.refund(5)
    assert budget.tokens == 15
    budget.refund(0)
    assert budget.tokens == 16
    for _ in range(10):
        budget.refund(0)
    assert budget.tokens == 20


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
