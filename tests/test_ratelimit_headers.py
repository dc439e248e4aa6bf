from __future__ import annotations

from datetime import UTC, datetime

import pytest

import aiodo_projects as do


def test_rate_limit_from_headers_reads_all_three() -> None:
    headers = {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "4816",
        "ratelimit-reset": "1444931833",
    }
    assert do.RateLimit.from_headers(headers) == do.RateLimit(
        limit=5000, remaining=4816, reset=datetime(2015, 10, 15, 17, 57, 13, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"ratelimit-limit": "5000", "ratelimit-remaining": "1"},
        {"ratelimit-limit": "x", "ratelimit-remaining": "1", "ratelimit-reset": "1"},
        {"ratelimit-limit": "5000", "ratelimit-remaining": "-1", "ratelimit-reset": "1"},
        {"ratelimit-limit": "5000", "ratelimit-remaining": "1", "ratelimit-reset": "nan"},
        {"ratelimit-limit": "5000", "ratelimit-remaining": "1", "ratelimit-reset": "inf"},
        {"ratelimit-limit": "5000", "ratelimit-remaining": "1", "ratelimit-reset": "1e300"},
    ],
)
def test_rate_limit_from_headers_garbled_is_none(headers: dict[str, str]) -> None:
    assert do.RateLimit.from_headers(headers) is None
