from __future__ import annotations

from datetime import UTC, datetime

import pytest

import aiodo_projects as do
from aiodo_projects._ratelimit import RateLimitParser


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
        {"ratelimit-limit": "5000", "ratelimit-remaining": "1", "ratelimit-reset": "soon"},
        {"ratelimit-limit": "5000", "ratelimit-remaining": "5001", "ratelimit-reset": "1"},
        {"ratelimit-limit": "0", "ratelimit-remaining": "0", "ratelimit-reset": "1"},
        {"ratelimit-limit": "-5", "ratelimit-remaining": "0", "ratelimit-reset": "1"},
    ],
)
def test_rate_limit_from_headers_garbled_is_none(headers: dict[str, str]) -> None:
    assert do.RateLimit.from_headers(headers) is None


def _headers(limit: str, remaining: str, reset: str) -> dict[str, str]:
    return {"ratelimit-limit": limit, "ratelimit-remaining": remaining, "ratelimit-reset": reset}


def test_rate_limit_parser_agrees_with_from_headers_over_a_stream() -> None:
    parse = RateLimitParser()
    stream = [
        {},
        _headers("5000", "4999", "1444931833"),
        _headers("5000", "4999", "1444931833"),  # repeated: same answer
        _headers("5000", "4998", "1444931833"),  # remaining changed, same reset
        _headers("5000", "-1", "1444931833"),  # garbled
        _headers("5000", "4997", "1444931833"),  # back to good after a garbled one
        _headers("5000", "4997", "nan"),  # garbled reset
        _headers("5000", "4997", "1444931833"),
        _headers("5000", "4997", "1444931900"),  # reset moved
        _headers("x", "4997", "1444931900"),
        {"ratelimit-limit": "5000", "ratelimit-remaining": "1"},
    ]
    for headers in stream:
        assert parse(headers) == do.RateLimit.from_headers(headers), headers


def test_rate_limit_parser_reuses_unchanged_values() -> None:
    parse = RateLimitParser()
    first = parse(_headers("5000", "4999", "1444931833"))
    assert parse(_headers("5000", "4999", "1444931833")) is first
    second = parse(_headers("5000", "4998", "1444931833"))
    assert second is not None
    assert first is not None
    assert second.remaining == 4998
    assert second.reset is first.reset
