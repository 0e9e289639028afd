"""Freshness in Dagster's own terms, so the UI says when data is late.

* Raw days: Dagster's time-partition freshness checks. An hour after the daily run, the newest
  partition (today, a partial day) must have been fetched; the check sensor evaluates them, and
  every raw run evaluates them too. Each day's ``fetched_until`` and ``complete`` metadata says
  how far a day's file reaches.
* Modelled tables: a freshness policy. With the refresh on, a table older than two refresh
  intervals warns and one older than three fails; with it off, a day and a day and a half.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from dagster import (
    AssetChecksDefinition,
    AssetsDefinition,
    DefaultSensorStatus,
    FreshnessPolicy,
    SensorDefinition,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
)

from dixa_assets.defs.raw.schedules import DAILY_MINUTE_OF_HOUR

FRESHNESS_SENSOR = "dixa_freshness_checks"


def raw_freshness_checks(
    raw_assets: Sequence[AssetsDefinition], timezone: str
) -> Sequence[AssetChecksDefinition]:
    return build_time_partition_freshness_checks(
        assets=list(raw_assets),
        deadline_cron=f"{DAILY_MINUTE_OF_HOUR} 1 * * *",
        timezone=timezone,
    )


def freshness_sensor(checks: Sequence[AssetChecksDefinition]) -> SensorDefinition:
    """Runs the freshness checks every few minutes; running by default: it reads only Dagster's
    own records, never the API."""
    return build_sensor_for_freshness_checks(
        freshness_checks=list(checks),
        minimum_interval_seconds=300,
        name=FRESHNESS_SENSOR,
        default_status=DefaultSensorStatus.RUNNING,
    )


def modelled_freshness_policy(refresh_minutes: int) -> FreshnessPolicy:
    if refresh_minutes:
        interval = timedelta(minutes=refresh_minutes)
        return FreshnessPolicy.time_window(fail_window=3 * interval, warn_window=2 * interval)
    return FreshnessPolicy.time_window(
        fail_window=timedelta(hours=36), warn_window=timedelta(hours=25)
    )
