import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dixa_assets.exports_api import DAY_MS, MAX_WINDOW_DAYS, Window, to_epoch_ms


def test_request_bounds_pad_one_ms_each_side():
    assert Window(1000, 2000).request_bounds() == (999, 2000)


def test_split_pieces_fit_the_limit_with_padding_and_tile_the_window():
    window = Window(0, 365 * DAY_MS)
    pieces = window.split()
    assert len(pieces) == 12  # ceil(365 / 31)
    assert pieces[0].start_ms == window.start_ms and pieces[-1].end_ms == window.end_ms
    for a, b in itertools.pairwise(pieces):
        assert a.end_ms == b.start_ms
    for piece in pieces:
        after, before = piece.request_bounds()
        assert before - after <= MAX_WINDOW_DAYS * DAY_MS


def test_exactly_31_days_needs_two_requests_because_of_padding():
    assert len(Window(0, 31 * DAY_MS).split()) == 2
    assert len(Window(0, 31 * DAY_MS - 1).split()) == 1


def test_empty_window_is_refused():
    with pytest.raises(ValueError):
        Window(5, 5)


def test_epoch_ms_is_exact_and_timezone_aware():
    moment = datetime(2025, 3, 30, 0, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert to_epoch_ms(moment) == int(datetime(2025, 3, 29, 23, tzinfo=UTC).timestamp()) * 1000
    assert to_epoch_ms(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=1999)) == 1
    with pytest.raises(ValueError):
        Window.between(datetime(2025, 1, 1), datetime(2025, 1, 2))


def test_dst_day_is_23_hours():
    tz = ZoneInfo("Europe/Copenhagen")
    day = Window.between(datetime(2025, 3, 30, tzinfo=tz), datetime(2025, 3, 31, tzinfo=tz))
    assert day.span_ms == 23 * 3600 * 1000
