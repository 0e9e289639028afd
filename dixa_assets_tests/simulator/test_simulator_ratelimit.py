"""The token bucket: burst of one minute's allowance, exact Retry-After, fractional rates."""

from __future__ import annotations

import pytest

from dixa_assets.simulator.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_wait_for_a_whole_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock)
    assert [bucket.acquire() for _ in range(10)] == [None] * 10
    assert bucket.acquire() == 6
    clock.now = 5.5
    assert bucket.acquire() == 1
    clock.now = 6.0
    assert bucket.acquire() is None


def test_a_burst_of_one_spaces_requests_evenly() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, burst=1, clock=clock)  # the real API's 10/min, 60 times faster
    assert bucket.acquire() is None
    clock.now = 0.099
    assert bucket.acquire() == 1
    clock.now = 0.1
    assert bucket.acquire() is None


def test_fractional_rates() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.5, clock=clock)
    assert bucket.acquire() is None
    assert bucket.acquire() == 120
    clock.now = 120
    assert bucket.acquire() is None


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(10, burst=0)
