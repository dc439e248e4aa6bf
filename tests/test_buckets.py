"""The limiter's arithmetic (Buckets) on a fake clock: burst, hourly budget, pause."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiodo_projects._buckets import Buckets
from aiodo_projects._ratelimit import HOURLY_WINDOW

EPOCH = 1_700_000_000.0


def test_buckets_burst_allows_limit_sends_then_waits_for_the_oldest_to_return() -> None:
    b = Buckets(limit=3, window=10.0, hourly=False)
    for t in (0.0, 1.0, 2.0):
        assert b.delay(t) == 0.0
        b.take()
        b.done(t, answered=True)  # answered at once: the token returns at t + 10
    assert b.delay(2.5) == pytest.approx(7.5)  # the token spent at 0.0 returns at 10.0
    assert b.delay(9.999) > 0.0
    assert b.delay(10.0) == 0.0
    b.take()
    b.done(10.0, answered=True)
    assert b.delay(10.0) == pytest.approx(1.0)


def test_buckets_burst_token_returns_a_window_after_its_attempt_ends() -> None:
    b = Buckets(limit=2, window=10.0, hourly=False)
    b.take()
    b.take()
    assert b.delay(0.0) == math.inf  # both in flight: wait for an answer
    b.done(4.0, answered=True)  # the request may have reached the server as late as 4.0
    assert b.delay(4.0) == pytest.approx(10.0)
    assert b.delay(14.0) == 0.0


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (1, 0.0), (1, -1.0), (1, math.inf)])
def test_buckets_reject_bad_settings(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="burst"):
        Buckets(limit=limit, window=window)


def test_buckets_pause_holds_every_send_and_never_shortens() -> None:
    b = Buckets(limit=100, window=1.0, hourly=False)
    b.pause(0.0, 5.0)
    b.pause(1.0, 2.0)  # ends at 3.0, before the first pause: ignored
    assert b.delay(1.0) == pytest.approx(4.0)
    assert b.blocking_wait(1.0) == pytest.approx(4.0)
    assert b.delay(5.0) == 0.0
    assert b.blocking_wait(5.0) == 0.0


def test_buckets_probe_one_send_until_the_first_answer() -> None:
    b = Buckets(limit=100, window=1.0)
    assert b.probing
    assert b.delay(0.0) == 0.0
    b.take()
    assert b.delay(0.0) == math.inf  # wait for the probe's answer
    b.done(0.1, answered=False)  # no answer: the next send probes again
    assert b.probing
    assert b.delay(0.1) == 0.0
    b.take()
    b.done(0.2, answered=True, remaining=4000, reset_epoch=EPOCH, reset_in=3000.0)
    assert not b.probing
    assert b.remaining == 4000
    assert b.delay(0.2) == 0.0


def test_buckets_answer_without_headers_leaves_the_hourly_bucket_open() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.1, answered=True)
    assert b.remaining is None
    for _ in range(50):
        b.take()
    assert b.delay(0.2) == 0.0


def test_buckets_hourly_budget_counts_sends_in_flight() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=2, reset_epoch=EPOCH, reset_in=100.0)
    b.take()
    b.take()
    # Two in flight and two remaining: the next waits for the reset, as far as is known...
    assert b.delay(0.0) == pytest.approx(100.0)
    # ...but the server has not said "none left", so the wait is not yet imposed.
    assert b.blocking_wait(0.0) == 0.0
    b.done(1.0, answered=True, remaining=0, reset_epoch=EPOCH, reset_in=99.0)
    assert b.blocking_wait(1.0) == pytest.approx(99.0)
    b.done(1.0, answered=True, remaining=1, reset_epoch=EPOCH, reset_in=99.0)  # older: ignored
    assert b.remaining == 0
    assert b.delay(50.0) == pytest.approx(50.0)


def test_buckets_hourly_refills_one_at_reset_until_a_newer_report() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=0, reset_epoch=EPOCH, reset_in=10.0)
    assert b.delay(5.0) == pytest.approx(5.0)
    assert b.delay(10.0) == 0.0  # the oldest counted request expired: one send may go
    assert b.remaining == 1
    b.take()
    # No reset known now and one in flight: wait for its answer.
    assert b.delay(10.0) == math.inf
    assert b.blocking_wait(10.0) == 0.0
    b.done(10.5, answered=True, remaining=7, reset_epoch=EPOCH + 40, reset_in=40.0)
    assert b.remaining == 7
    assert b.delay(10.5) == 0.0


def test_buckets_hourly_with_no_reset_known_and_nothing_in_flight_lets_one_ask() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=1, reset_epoch=EPOCH, reset_in=0.0)
    b.take()
    b.done(0.0, answered=True)  # counted without headers: budget now 0
    assert b.remaining == 0
    # reset_at was 0.0, already passed: refilled by one.
    assert b.delay(0.0) == 0.0
    b.take()
    b.done(0.0, answered=True)
    assert b.remaining == 0
    assert b.delay(0.0) == 0.0  # nothing in flight, no reset known: one send may ask


def test_buckets_hourly_off_ignores_reports() -> None:
    b = Buckets(limit=100, window=1.0, hourly=False)
    b.take()
    b.take()
    assert b.delay(0.0) == 0.0
    b.done(0.0, answered=True, remaining=0, reset_epoch=EPOCH, reset_in=1000.0)
    assert b.delay(0.0) == 0.0
    assert b.blocking_wait(0.0) == 0.0


def test_buckets_newer_report_replaces_even_when_higher() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=10, reset_epoch=EPOCH, reset_in=5.0)
    b.take()
    b.done(0.0, answered=True, remaining=50, reset_epoch=EPOCH + 1, reset_in=6.0)
    assert b.remaining == 50
    b.take()
    b.done(0.0, answered=True, remaining=60, reset_epoch=EPOCH, reset_in=5.0)  # stale
    assert b.remaining == 50


def test_buckets_done_never_drives_in_flight_negative() -> None:
    b = Buckets(limit=2, window=1.0)
    b.done(0.0, answered=False)
    assert b.in_flight == 0


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 12),
    window=st.floats(0.05, 50.0),
    sends=st.lists(st.tuples(st.floats(0.0, 5.0), st.floats(0.0, 10.0)), min_size=1, max_size=120),
)
def test_buckets_never_more_than_limit_requests_in_any_window_of_arrivals(
    limit: int, window: float, sends: list[tuple[float, float]]
) -> None:
    """Greedy senders with random latencies: however each request's arrival falls between
    its send and its answer, no window of the server's log ever holds more than ``limit``.

    A token is busy from its send until a window after its answer; the bound holds when no
    more than ``limit`` tokens are ever busy at once.
    """
    b = Buckets(limit=limit, window=window, hourly=False)
    now = 0.0
    pending: list[float] = []  # answer times of requests in flight
    busy: list[tuple[float, float]] = []  # (send, answer + window) of every request
    for gap, latency in sends:
        now += gap
        while True:
            for end in sorted(p for p in pending if p <= now):
                pending.remove(end)
                b.done(end, answered=True)
            wait = b.delay(now)
            if wait == 0.0:
                break
            # Sleep until a token is due back, or until the next answer.
            now = min(now + wait, min(pending, default=math.inf))
        b.take()
        pending.append(now + latency)
        busy.append((now, now + latency + window))
        assert sum(1 for start, end in busy if start <= now < end - 1e-6) <= limit


# -- what one report can impose ---------------------------------------------------------------

HOSTILE_RESET = 10.0**9  # seconds ahead: no DigitalOcean reset is more than an hour ahead


def test_buckets_reset_beyond_the_hour_holds_sends_for_one_hour_at_most() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=0, reset_epoch=EPOCH + HOSTILE_RESET, reset_in=10.0**9)
    assert b.blocking_wait(0.0) == HOURLY_WINDOW
    assert b.delay(HOURLY_WINDOW - 1.0) == pytest.approx(1.0)
    assert b.delay(HOURLY_WINDOW) == 0.0  # the clamp expired: one send may ask again
    b.take()
    # The server's true reset is earlier than the hostile one: it is believed all the same.
    b.done(HOURLY_WINDOW, answered=True, remaining=4000, reset_epoch=EPOCH + 3000, reset_in=9.0)
    assert b.remaining == 4000
    assert b.delay(HOURLY_WINDOW) == 0.0


@pytest.mark.parametrize("reset_in", [math.nan, math.inf, -5.0])
def test_buckets_nonsense_reset_in_is_clamped_into_the_hour(reset_in: float) -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=0, reset_epoch=EPOCH, reset_in=reset_in)
    assert 0.0 <= b.blocking_wait(0.0) <= HOURLY_WINDOW


def test_buckets_reset_rounded_past_the_hour_is_still_believed() -> None:
    """Date and ratelimit-reset are whole seconds: a fresh window can read as 3601 s."""
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=0, reset_epoch=EPOCH + 3601, reset_in=3601.0)
    assert b.blocking_wait(0.0) == 3601.0
    b.take()  # (in flight when the next, older report arrives)
    b.done(0.0, answered=True, remaining=3, reset_epoch=EPOCH + 3000, reset_in=3000.0)
    assert b.remaining == 0  # an older, higher report does not replace a plausible one


def test_buckets_sane_report_after_a_hostile_one_frees_the_budget_at_once() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=10, reset_epoch=EPOCH + 60, reset_in=60.0)
    b.take()
    b.take()  # two answers on their way; the first is hostile
    b.done(0.1, answered=True, remaining=0, reset_epoch=EPOCH + HOSTILE_RESET, reset_in=10.0**9)
    assert b.blocking_wait(0.1) == HOURLY_WINDOW
    b.done(0.2, answered=True, remaining=9, reset_epoch=EPOCH + 60, reset_in=59.8)
    assert b.remaining == 9
    assert b.blocking_wait(0.2) == 0.0
    assert b.delay(0.2) == 0.0


def test_buckets_lower_report_with_an_earlier_reset_is_believed() -> None:
    """A limiter that once heard of a later reset (another server on that origin, a server
    whose clock moved back) still obeys a report that the budget is spent."""
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=4999, reset_epoch=EPOCH + 3600, reset_in=3600.0)
    b.take()
    b.done(1.0, answered=True, remaining=0, reset_epoch=EPOCH + 120, reset_in=119.0)
    assert b.remaining == 0
    assert b.blocking_wait(1.0) == pytest.approx(119.0)


def test_buckets_report_is_replaced_once_its_reset_has_passed() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=5, reset_epoch=EPOCH + 10, reset_in=10.0)
    b.take()
    b.done(11.0, answered=True, remaining=8, reset_epoch=EPOCH + 5, reset_in=0.0)
    assert b.remaining == 8


def test_buckets_negative_remaining_is_ignored() -> None:
    b = Buckets(limit=100, window=1.0)
    b.take()
    b.done(0.0, answered=True, remaining=7, reset_epoch=EPOCH, reset_in=10.0)
    b.take()
    b.done(0.0, answered=True, remaining=-1, reset_epoch=EPOCH + 1, reset_in=11.0)
    assert b.remaining == 7
