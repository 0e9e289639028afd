"""Refresh the older days that a conversation's late update made stale.

A conversation changes long after its messages were written: it gets tagged, rated, transferred,
anonymized. The lookback schedule re-fetches recent raw days and ``conversations`` is rebuilt, but
the rows of ``conversation_messages`` and ``daily_support_metrics`` for the days of the
conversation's messages, creation or closing may lie before any re-fetched day. No event in
Dagster says which days those are; the data does:

* a day of ``conversation_messages`` is stale when one of its rows was joined with another
  version of its conversation (``conversation_updated_at``) than the current one;
* a day of ``daily_support_metrics`` is stale when recomputing it gives other rows.

After each new materialization of ``conversations`` or ``conversation_messages``, this sensor asks
DuckDB for stale days among the materialized ones and requests one run of both daily assets per
consecutive range of them. Days whose upstream day has newer data are left to declarative
automation, which refreshes them anyway; while a refresh launched here is still running, the
sensor waits, so it never requests the same days twice.
"""

import itertools
from collections.abc import Iterable, Sequence
from datetime import date

from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    TimeWindowPartitionsDefinition,
    sensor,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    SENSOR_NAME_TAG,
)
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.defs.modelled.keys import (
    CONVERSATION_MESSAGES_KEY,
    CONVERSATIONS_KEY,
    DAILY_SUPPORT_METRICS_KEY,
    RAW_MESSAGES_KEY,
)
from dixa_assets.warehouse.conversation_messages import STALE_CONVERSATION_MESSAGE_DAYS
from dixa_assets.warehouse.daily_support_metrics import STALE_METRIC_DAYS
from dixa_assets.warehouse.database import DatabaseBusy
from dixa_assets.warehouse.tables import CONVERSATION_MESSAGES_TABLE, DAILY_SUPPORT_METRICS_TABLE

LATE_UPDATES_SENSOR = "dixa_late_updates"
SENSOR_LOCK_TIMEOUT_S = 20.0
"""A sensor tick must finish within a minute; if a long write holds the database, try later."""
UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
TRIGGERS = (CONVERSATIONS_KEY, CONVERSATION_MESSAGES_KEY)
REFRESHED = (CONVERSATION_MESSAGES_KEY, DAILY_SUPPORT_METRICS_KEY)


def build_late_updates_sensor(partitions_def: TimeWindowPartitionsDefinition) -> SensorDefinition:
    """The sensor, running by default (refreshing is safe: it replaces days with what they
    should hold)."""

    @sensor(
        name=LATE_UPDATES_SENSOR,
        asset_selection=list(REFRESHED),
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="After conversations or conversation_messages change, re-materializes the "
        "days of conversation_messages and daily_support_metrics whose rows no longer match the "
        "current conversations.",
    )
    def late_updates(
        context: SensorEvaluationContext, duckdb: DuckDBResource
    ) -> SensorResult | SkipReason:
        instance = context.instance
        latest = max(_latest_storage_id(instance, key) for key in TRIGGERS)
        if latest <= int(context.cursor or 0):
            return SkipReason("no new materialization of conversations or conversation_messages")
        if instance.get_run_records(
            RunsFilter(tags={SENSOR_NAME_TAG: LATE_UPDATES_SENSOR}, statuses=UNFINISHED), limit=1
        ):
            return SkipReason("waiting for the refresh requested earlier to finish")
        materialized_metrics = sorted(
            instance.get_materialized_partitions(DAILY_SUPPORT_METRICS_KEY)
        )
        try:
            stale = stale_days(duckdb, partitions_def.timezone, materialized_metrics)
        except DatabaseBusy:
            return SkipReason("the database is busy; trying again on the next tick")
        pending = _pending(instance, RAW_MESSAGES_KEY, CONVERSATION_MESSAGES_KEY, stale) | _pending(
            instance, CONVERSATION_MESSAGES_KEY, DAILY_SUPPORT_METRICS_KEY, stale
        )
        days = [d for d in stale if d not in pending and partitions_def.has_partition_key(d)]
        context.log.info(f"stale days: {stale}; left to automation: {sorted(pending)}")
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=f"{first}...{last}@{latest}",
                    asset_selection=list(REFRESHED),
                    tags={
                        ASSET_PARTITION_RANGE_START_TAG: first,
                        ASSET_PARTITION_RANGE_END_TAG: last,
                    },
                )
                for first, last in consecutive_ranges(days)
            ],
            cursor=str(latest),
        )

    return late_updates


def stale_days(
    duckdb_resource: DuckDBResource, timezone: str, materialized_metrics: Sequence[str]
) -> list[str]:
    """Partition keys of days whose modelled rows no longer match the current conversations."""
    with locked_connection(duckdb_resource, timeout_s=SENSOR_LOCK_TIMEOUT_S) as con:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = current_schema()"
            ).fetchall()
        }
        days: set[str] = set()
        if CONVERSATION_MESSAGES_TABLE in tables:
            days.update(row[0] for row in con.execute(STALE_CONVERSATION_MESSAGE_DAYS).fetchall())
        if materialized_metrics and DAILY_SUPPORT_METRICS_TABLE in tables:
            rows = con.execute(
                STALE_METRIC_DAYS,
                {
                    "tz": timezone,
                    "first": date.fromisoformat(materialized_metrics[0]),
                    "last": date.fromisoformat(materialized_metrics[-1]),
                    "by_channel_and_queue": True,
                },
            ).fetchall()
            days.update(set(materialized_metrics) & {row[0] for row in rows})
    return sorted(days)


def consecutive_ranges(days: Iterable[str]) -> list[tuple[str, str]]:
    """Sorted ``yyyy-mm-dd`` keys grouped into (first, last) runs of consecutive days."""
    ordinals = sorted(date.fromisoformat(day).toordinal() for day in days)
    ranges = []
    for _, group in itertools.groupby(enumerate(ordinals), key=lambda pair: pair[1] - pair[0]):
        run = [ordinal for _, ordinal in group]
        ranges.append((date.fromordinal(run[0]).isoformat(), date.fromordinal(run[-1]).isoformat()))
    return ranges


def _latest_storage_id(instance: DagsterInstance, key: AssetKey) -> int:
    record = next(iter(instance.get_asset_records([key])), None)
    entry = record.asset_entry.last_materialization_record if record else None
    return entry.storage_id if entry else 0


def _pending(
    instance: DagsterInstance, upstream: AssetKey, downstream: AssetKey, days: Sequence[str]
) -> set[str]:
    """Days whose upstream day was materialized after the downstream day: automation will
    refresh them with the newer data."""
    if not days:
        return set()
    wanted = set(days)
    event = DagsterEventType.ASSET_MATERIALIZATION
    up = instance.get_latest_storage_id_by_partition(upstream, event, partitions=wanted)
    down = instance.get_latest_storage_id_by_partition(downstream, event, partitions=wanted)
    return {day for day in wanted if up.get(day, 0) > down.get(day, 0)}
