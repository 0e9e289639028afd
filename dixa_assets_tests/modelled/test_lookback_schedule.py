"""The daily schedule: one run over the last DIXA_LOOKBACK_DAYS complete days of the raw job."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dagster import RunRequest, SkipReason, build_schedule_context
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from dixa_assets.definitions import DAILY_JOB, build_definitions
from dixa_assets.settings import Settings

SCHEDULE = f"{DAILY_JOB}_schedule"


def settings(tmp_path, timezone: str = "UTC", lookback_days: int = 3) -> Settings:
    return Settings(
        start_date="2025-01-01",
        timezone=timezone,
        data_dir=str(tmp_path),
        duckdb_path=str(tmp_path / "warehouse.duckdb"),
        lookback_days=lookback_days,
    )


def tick(settings: Settings, when: datetime) -> RunRequest | SkipReason:
    schedule = build_definitions(settings).resolve_schedule_def(SCHEDULE)
    assert schedule.cron_schedule == "30 0 * * *"
    assert schedule.execution_timezone == settings.timezone
    return schedule(build_schedule_context(scheduled_execution_time=when))


def days(request: RunRequest) -> tuple[str, str]:
    return (
        request.tags[ASSET_PARTITION_RANGE_START_TAG],
        request.tags[ASSET_PARTITION_RANGE_END_TAG],
    )


@pytest.mark.parametrize(
    ("timezone", "lookback", "expected"),
    [
        ("UTC", 3, ("2025-03-17", "2025-03-19")),
        ("UTC", 1, ("2025-03-19", "2025-03-19")),
        ("Europe/Copenhagen", 7, ("2025-03-13", "2025-03-19")),
    ],
)
def test_one_run_covers_the_last_complete_days(tmp_path, timezone, lookback, expected):
    when = datetime(2025, 3, 20, 0, 30, tzinfo=ZoneInfo(timezone))
    request = tick(settings(tmp_path, timezone, lookback), when)
    assert isinstance(request, RunRequest)
    assert days(request) == expected
    assert request.run_key == f"{expected[0]}...{expected[1]}"


def test_the_lookback_stops_at_the_start_date(tmp_path):
    early = tick(settings(tmp_path), datetime(2025, 1, 2, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert isinstance(early, RunRequest) and days(early) == ("2025-01-01", "2025-01-01")
    first = tick(settings(tmp_path), datetime(2025, 1, 1, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert isinstance(first, SkipReason)


def test_lookback_days_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DIXA_LOOKBACK_DAYS", raising=False)
    assert Settings.from_env().lookback_days == 3
    monkeypatch.setenv("DIXA_LOOKBACK_DAYS", "10")
    assert Settings.from_env().lookback_days == 10
    for wrong in ("0", "-2", "two"):
        monkeypatch.setenv("DIXA_LOOKBACK_DAYS", wrong)
        with pytest.raises(ValueError, match="DIXA_LOOKBACK_DAYS"):
            Settings.from_env()
