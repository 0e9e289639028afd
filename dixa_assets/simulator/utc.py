"""UTC day arithmetic in Unix milliseconds, the only time unit the Exports API speaks.

The simulator keys all generation by UTC day, and plants records on Copenhagen's local midnight
(Dixa's home time zone) because that is where clients that confuse local time with UTC break. The
Copenhagen offset is computed from the EU summer-time rule rather than from tzdata so that the
synthetic organisation is identical on hosts with different (or no) time-zone databases.
"""

from __future__ import annotations

from datetime import date, timedelta

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH = date(1970, 1, 1)


def day_start_ms(day: date) -> int:
    """Unix ms of 00:00:00.000 UTC on `day`."""
    return (day - _EPOCH).days * DAY_MS


def epoch_day(ms: int | float) -> int:
    """Days since 1970-01-01 of the UTC day containing `ms` (floor, so negative ms work too)."""
    return int(ms // DAY_MS)


def day_of_epoch_day(index: int) -> date:
    """The calendar date `index` days after 1970-01-01."""
    return _EPOCH + timedelta(days=index)


def _last_sunday(year: int, month: int) -> date:
    """Last Sunday of a month whose last day is the 31st (March and October)."""
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def copenhagen_midnight_ms(day: date) -> int:
    """Unix ms of the Copenhagen local midnight that ends UTC `day` (22:00 or 23:00 UTC).

    EU rule: summer time (UTC+2) from 01:00 UTC on the last Sunday of March until 01:00 UTC on
    the last Sunday of October, otherwise UTC+1.
    """
    local_midnight_utc_winter = day_start_ms(day) + 23 * HOUR_MS
    summer_start = day_start_ms(_last_sunday(day.year, 3)) + HOUR_MS
    summer_end = day_start_ms(_last_sunday(day.year, 10)) + HOUR_MS
    summer_candidate = local_midnight_utc_winter - HOUR_MS
    if summer_start <= summer_candidate < summer_end:
        return summer_candidate
    return local_midnight_utc_winter
