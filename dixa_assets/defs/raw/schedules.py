"""When the raw job runs: every run fetches the recent days and today in one request per endpoint.

* ``dixa_daily_job_schedule``: shortly after each day ends in ``DIXA_TIMEZONE``, so yesterday is
  fetched as a complete day.
* ``dixa_refresh_schedule``: every ``DIXA_REFRESH_MINUTES`` (default 60), so today is visible
  within the interval and conversations updated since their day was stored come back in their
  newest version.

Both fetch the same range: the last ``DIXA_LOOKBACK_DAYS`` complete days, where late updates
land, and today so far. It is one range run, not a run per day, because the raw assets fetch a
range in one API request per endpoint: four days cost two requests, not eight. A tick is skipped
while the previous run of the same schedule is still going, so a slow API never piles runs up.
"""

from __future__ import annotations

from dagster import (
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    TimeWindowPartitionsDefinition,
    schedule,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    SCHEDULE_NAME_TAG,
)

DAILY_MINUTE_OF_HOUR = 30
REFRESH_SCHEDULE = "dixa_refresh_schedule"
UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


def refresh_cron(minutes: int) -> str:
    """Every ``minutes`` (a divisor of an hour, or a multiple of 60 dividing a day), on the
    hour; validated in :mod:`..settings`."""
    if minutes < 60:
        return f"*/{minutes} * * * *"
    hours = minutes // 60
    return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"


def daily_schedule(
    job_name: str, partitions_def: TimeWindowPartitionsDefinition, lookback_days: int
) -> ScheduleDefinition:
    return _recent_days_schedule(
        f"{job_name}_schedule",
        job_name,
        f"{DAILY_MINUTE_OF_HOUR} 0 * * *",
        partitions_def,
        lookback_days,
        f"Every day at 00:{DAILY_MINUTE_OF_HOUR:02d} ({partitions_def.timezone}): the last "
        f"{lookback_days} complete day(s), yesterday now complete, and today so far, in one run.",
    )


def refresh_schedule(
    job_name: str, partitions_def: TimeWindowPartitionsDefinition, lookback_days: int, minutes: int
) -> ScheduleDefinition:
    return _recent_days_schedule(
        REFRESH_SCHEDULE,
        job_name,
        refresh_cron(minutes),
        partitions_def,
        lookback_days,
        f"Every {minutes} minute(s): today so far and the last {lookback_days} complete day(s) "
        "in one run, so today is visible and updated conversations come back in their newest "
        "version.",
    )


def _recent_days_schedule(
    name: str,
    job_name: str,
    cron: str,
    partitions_def: TimeWindowPartitionsDefinition,
    lookback_days: int,
    description: str,
) -> ScheduleDefinition:
    @schedule(
        name=name,
        job_name=job_name,
        cron_schedule=cron,
        execution_timezone=partitions_def.timezone,
        description=description,
    )
    def recent_days(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        # The partitions end with today (end_offset=1): today and the complete days before it.
        keys = partitions_def.get_partition_keys(current_time=context.scheduled_execution_time)
        recent = keys[-(lookback_days + 1) :]
        if not recent:
            return SkipReason("the start date is still ahead")
        if context.instance.get_run_records(
            RunsFilter(tags={SCHEDULE_NAME_TAG: name}, statuses=UNFINISHED), limit=1
        ):
            return SkipReason("the previous run of this schedule is still going")
        first, last = recent[0], recent[-1]
        tick = context.scheduled_execution_time.isoformat(timespec="minutes")
        return RunRequest(
            run_key=f"{first}...{last}@{tick}",
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        )

    return recent_days
