"""The audit's estimate: requests needed and the least time the limits allow (tables)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import aiodo_projects as do
from aiodo_projects.cli._estimate import (
    Estimate,
    Limits,
    duration,
    estimate,
    minimum_seconds,
    requests_needed,
)


@pytest.mark.parametrize(
    ("projects", "per_page", "counts", "expected"),
    [
        (0, 200, (), 1),  # an empty listing is still one request
        (1, 200, (), 2),
        (200, 200, (), 201),
        (201, 200, (), 203),
        (5001, 200, (), 5027),
        (5001, 20, (), 251 + 5001),
        (3, 200, (0, 450), 1 + 1 + 3 + 1),  # a known 450-resource project takes 3 pages
        (3, 20, (20, 21), 1 + 1 + 2 + 1),
    ],
)
def test_requests_needed_counts_listing_pages_and_resource_pages(
    projects: int, per_page: int, counts: tuple[int, ...], expected: int
) -> None:
    assert requests_needed(projects, per_page, counts) == expected


@pytest.mark.parametrize(
    ("projects", "per_page", "counts"),
    [(1, 0, ()), (1, 201, ()), (-1, 200, ()), (1, 200, (1, 2)), (2, 200, (-1,))],
)
def test_requests_needed_refuses_impossible_input(
    projects: int, per_page: int, counts: tuple[int, ...]
) -> None:
    with pytest.raises(do.ValidationError):
        requests_needed(projects, per_page, counts)


SMALL = Limits(burst=10, window=1.0, hourly=25)


@pytest.mark.parametrize(
    ("requests", "limits", "expected"),
    [
        (0, Limits(), 0.0),
        (1, Limits(), 0.0),
        (240, Limits(), 0.0),  # one burst goes at once
        (241, Limits(), 60.0),  # the 241st waits for the first token to come back
        (480, Limits(), 60.0),
        (481, Limits(), 120.0),
        (4800, Limits(), 19 * 60.0),
        (25, SMALL, 2.0),  # the whole hourly budget, in bursts of 10
        (26, SMALL, 3600.0),  # one more waits for the first request's hour
        (36, SMALL, 3601.0),
        (10, attrs.evolve(SMALL, remaining=5, reset_in=100.0), 100.0),  # 5 now, 5 at the reset
        (11, attrs.evolve(SMALL, remaining=5, reset_in=100.0), 100.0),
        (1, attrs.evolve(SMALL, remaining=0, reset_in=30.0), 30.0),
        (26, attrs.evolve(SMALL, remaining=0, reset_in=30.0), 3630.0),
    ],
)
def test_minimum_seconds_follows_the_burst_and_hourly_limits(
    requests: int, limits: Limits, expected: float
) -> None:
    assert minimum_seconds(requests, limits) == pytest.approx(expected)


@pytest.mark.parametrize(
    "limits",
    [
        {"burst": 0},
        {"window": 0.0},
        {"hourly": 0},
        {"remaining": -1},
        {"remaining": 5001},
        {"reset_in": -1.0},
    ],
)
def test_limits_refuse_impossible_values(limits: dict[str, Any]) -> None:
    with pytest.raises(do.ValidationError):
        Limits(**limits)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "under a minute"),
        (59.4, "under a minute"),
        (60.0, "about 1 min"),
        (19 * 60.0, "about 19 min"),
        (3599.0, "about 1 h"),
        (3660.0, "about 1 h 1 min"),
        (3600 + 6 * 60.0, "about 1 h 6 min"),
        (7200.0, "about 2 h"),
    ],
)
def test_duration_reads_roughly(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("projects", "limits", "text", "exceeds"),
    [
        (
            5004,
            Limits(remaining=4700, reset_in=3600.0),
            "about 5,030 requests; 4,700 left this hour; about 1 h 1 min",
            True,
        ),
        (5004, Limits(), "about 5,030 requests; about 1 h", False),
        (
            100,
            Limits(remaining=4700, reset_in=10.0),
            "about 101 requests; 4,700 left this hour; under a minute",
            False,
        ),
        (1000, Limits(), "about 1,005 requests; about 4 min", False),
    ],
)
def test_estimate_says_requests_budget_and_time(
    projects: int, limits: Limits, text: str, exceeds: bool
) -> None:
    result = estimate(projects, per_page=200, limits=limits)
    assert str(result) == text
    assert result.exceeds_budget is exceeds


def test_estimate_without_a_known_budget_never_exceeds_it() -> None:
    assert not Estimate(requests=10**6, seconds=0.0).exceeds_budget
