import pytest

from dixa_assets.exports_api.rate_limit import RequestPacer


class FakeClock:
    """Virtual time: sleeping advances it, so pacing is checked exactly and instantly."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def starts(pacer: RequestPacer, clock: FakeClock, count: int) -> list[float]:
    out = []
    for _ in range(count):
        pacer.acquire()
        out.append(clock.now)
    return out


def test_even_spacing_by_default():
    clock = FakeClock()
    pacer = RequestPacer(10, clock=clock, sleep=clock.sleep)
    assert starts(pacer, clock, 4) == [100.0, 106.0, 112.0, 118.0]


def test_burst_never_exceeds_the_limit_in_any_sliding_minute():
    clock = FakeClock()
    pacer = RequestPacer(10, burst=5, clock=clock, sleep=clock.sleep)
    times = starts(pacer, clock, 25)
    assert times[:5] == [100.0] * 5
    for i, t in enumerate(times):
        in_minute = [u for u in times[i:] if u < t + 60]
        assert len(in_minute) <= 10


def test_defer_holds_every_caller_back():
    clock = FakeClock()
    pacer = RequestPacer(None, clock=clock, sleep=clock.sleep)
    pacer.defer(7)
    assert pacer.acquire() == pytest.approx(7)
    assert pacer.acquire() == 0


def test_unlimited_never_waits():
    clock = FakeClock()
    pacer = RequestPacer(None, clock=clock, sleep=clock.sleep)
    assert starts(pacer, clock, 3) == [100.0, 100.0, 100.0]


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError):
        RequestPacer(0)
    with pytest.raises(ValueError):
        RequestPacer(10, burst=0)
