"""The raw job's schedules: one run over the last DIXA_LOOKBACK_DAYS complete days and today."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dagster import RunRequest, SkipReason, build_schedule_context, instance_for_test
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from dixa_assets.definitions import DAILY_JOB, build_definitions
from dixa_assets.defs.raw.schedules import REFRESH_SCHEDULE
from dixa_assets.settings import Settings

SCHEDULE = f"{DAILY_JOB}_schedule"


@pytest.fixture(autouse=True)
def _token(token_env: None) -> None:
    """Evaluating a schedule bound to the definitions resolves their resources' config."""


def settings(
    tmp_path, timezone: str = "UTC", lookback_days: int = 3, refresh_minutes: int = 60
) -> Settings:
    return Settings(
        start_date="2025-01-01",
        timezone=timezone,
        data_dir=str(tmp_path),
        duckdb_path=str(tmp_path / "warehouse.duckdb"),
        lookback_days=lookback_days,
        refresh_minutes=refresh_minutes,
    )


def tick(
    settings: Settings, when: datetime, name: str = SCHEDULE, cron: str = "30 0 * * *"
) -> RunRequest | SkipReason:
    schedule = build_definitions(settings).resolve_schedule_def(name)
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == settings.timezone
    with (
        instance_for_test() as instance,
        build_schedule_context(instance=instance, scheduled_execution_time=when) as context,
    ):
        return schedule(context)


def days(request: RunRequest) -> tuple[str, str]:
    return (
        request.tags[ASSET_PARTITION_RANGE_START_TAG],
        request.tags[ASSET_PARTITION_RANGE_END_TAG],
    )


@pytest.mark.parametrize(
    ("timezone", "lookback", "expected"),
    [
        ("UTC", 3, ("2025-03-17", "2025-03-20")),
        ("UTC", 1, ("2025-03-19", "2025-03-20")),
        ("Europe/Copenhagen", 7, ("2025-03-13", "2025-03-20")),
    ],
)
def test_one_run_covers_the_last_complete_days_and_today(tmp_path, timezone, lookback, expected):
    when = datetime(2025, 3, 20, 0, 30, tzinfo=ZoneInfo(timezone))
    request = tick(settings(tmp_path, timezone, lookback), when)
    assert isinstance(request, RunRequest)
    assert days(request) == expected
    assert request.run_key == f"{expected[0]}...{expected[1]}@{when.isoformat(timespec='minutes')}"


def test_the_lookback_stops_at_the_start_date(tmp_path):
    early = tick(settings(tmp_path), datetime(2025, 1, 2, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert isinstance(early, RunRequest) and days(early) == ("2025-01-01", "2025-01-02")
    first = tick(settings(tmp_path), datetime(2025, 1, 1, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert isinstance(first, RunRequest) and days(first) == ("2025-01-01", "2025-01-01")
    before = tick(settings(tmp_path), datetime(2024, 12, 30, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert isinstance(before, SkipReason)


@pytest.mark.parametrize(
    ("minutes", "cron"),
    [(60, "0 * * * *"), (15, "*/15 * * * *"), (1, "*/1 * * * *"), (120, "0 */2 * * *")],
)
def test_the_refresh_runs_every_interval_over_the_same_days(tmp_path, minutes, cron):
    # In a DST timezone, on the day the clocks go forward (a 23-hour day).
    when = datetime(2025, 3, 30, 14, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    conf = settings(tmp_path, "Europe/Copenhagen", 3, minutes)
    request = tick(conf, when, REFRESH_SCHEDULE, cron)
    assert isinstance(request, RunRequest)
    assert days(request) == ("2025-03-27", "2025-03-30")
    later = tick(conf, when.replace(hour=16), REFRESH_SCHEDULE, cron)
    assert later.run_key != request.run_key, "each tick is a run of its own"


def test_no_refresh_schedule_when_the_interval_is_zero(tmp_path):
    defs = build_definitions(settings(tmp_path, refresh_minutes=0))
    names = [s.name for s in defs.schedules]
    assert SCHEDULE in names and REFRESH_SCHEDULE not in names


def test_a_tick_is_skipped_while_the_previous_run_of_its_schedule_is_going(tmp_path):
    conf = settings(tmp_path)
    schedule = build_definitions(conf).resolve_schedule_def(REFRESH_SCHEDULE)
    when = datetime(2025, 3, 20, 9, 0, tzinfo=ZoneInfo("UTC"))
    with instance_for_test() as instance:
        job = build_definitions(conf).resolve_job_def(DAILY_JOB)
        run = instance.create_run_for_job(job, tags={"dagster/schedule_name": REFRESH_SCHEDULE})
        assert run.status.value == "NOT_STARTED"
        with build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
            skipped = schedule(context)
        assert isinstance(skipped, SkipReason)
        daily = build_definitions(conf).resolve_schedule_def(SCHEDULE)
        with build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
            other = daily(context)
        assert isinstance(other, RunRequest), "another schedule's run does not hold this one"


def test_refresh_minutes_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DIXA_REFRESH_MINUTES", raising=False)
    assert Settings.from_env().refresh_minutes == 60
    for good in ("0", "5", "30", "180", "1440"):
        monkeypatch.setenv("DIXA_REFRESH_MINUTES", good)
        assert Settings.from_env().refresh_minutes == int(good)
    for wrong in ("7", "90", "-5", "hourly", "2880"):
        monkeypatch.setenv("DIXA_REFRESH_MINUTES", wrong)
        with pytest.raises(ValueError, match="DIXA_REFRESH_MINUTES"):
            Settings.from_env()


def test_lookback_days_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DIXA_LOOKBACK_DAYS", raising=False)
    assert Settings.from_env().lookback_days == 3
    monkeypatch.setenv("DIXA_LOOKBACK_DAYS", "10")
    assert Settings.from_env().lookback_days == 10
    for wrong in ("0", "-2", "two"):
        monkeypatch.setenv("DIXA_LOOKBACK_DAYS", wrong)
        with pytest.raises(ValueError, match="DIXA_LOOKBACK_DAYS"):
            Settings.from_env()
