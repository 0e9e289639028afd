"""The raw layer: Exports API and main API data into the Parquet lake, with its checks, jobs,
schedules, sensors and resources (the APIs', the ``parquet_lake`` and its IO manager)."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    TimeWindowPartitionsDefinition,
    define_asset_job,
)

from dixa_assets.defs.code_references import with_code_references
from dixa_assets.defs.raw.activity_asset import build_activity_asset
from dixa_assets.defs.raw.api_resource import token_from_environment
from dixa_assets.defs.raw.checks import build_raw_checks
from dixa_assets.defs.raw.dimension_assets import build_dimension_definitions
from dixa_assets.defs.raw.export_assets import RAW_EXPORTS, RAW_GROUP, build_raw_asset
from dixa_assets.defs.raw.exports_resource import DixaExportsResource
from dixa_assets.defs.raw.freshness import freshness_sensor, raw_freshness_checks
from dixa_assets.defs.raw.io_manager import DixaLakeIOManager
from dixa_assets.defs.raw.lake_resource import LAKE_RESOURCE, lake_resource
from dixa_assets.defs.raw.main_api_resource import DixaMainApiResource
from dixa_assets.defs.raw.reconciliation_job import build_reconciliation
from dixa_assets.defs.raw.schedules import daily_schedule, refresh_schedule
from dixa_assets.settings import Settings

DAILY_JOB = "dixa_daily_job"


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> Definitions:
    """Raw assets, their checks, the daily, refresh, reconciliation and dimensions jobs and
    schedules, the freshness sensor and the API and lake resources."""
    raw_assets = [build_raw_asset(export, partitions_def) for export in RAW_EXPORTS]
    freshness_checks = raw_freshness_checks(raw_assets, settings.timezone)
    raw_assets.append(build_activity_asset(partitions_def))
    daily_job = define_asset_job(
        DAILY_JOB,
        # With the freshness checks: each run says at once whether today is now in.
        selection=AssetSelection.groups(RAW_GROUP),
        description=daily_job_description(settings.lookback_days),
    )
    schedules = [daily_schedule(DAILY_JOB, partitions_def, settings.lookback_days)]
    if settings.refresh_minutes:
        schedules.append(
            refresh_schedule(
                DAILY_JOB, partitions_def, settings.lookback_days, settings.refresh_minutes
            )
        )
    reconciliation_job, reconciliation_schedule = build_reconciliation(settings, partitions_def)
    schedules.append(reconciliation_schedule)
    dimensions, dimensions_job, dimensions_schedule = build_dimension_definitions(settings.timezone)
    schedules.append(dimensions_schedule)
    lake = lake_resource(settings.data_dir)
    return Definitions(
        assets=with_code_references([*raw_assets, *dimensions]),
        asset_checks=[*freshness_checks, *build_raw_checks(partitions_def)],
        jobs=[daily_job, reconciliation_job, dimensions_job],
        schedules=schedules,
        sensors=[freshness_sensor(freshness_checks)],
        resources={
            "dixa": DixaExportsResource(
                api_token=token_from_environment(),
                base_url=settings.api_base_url,
                requests_per_minute=settings.requests_per_minute,
            ),
            "dixa_main": DixaMainApiResource(
                api_token=token_from_environment(), base_url=settings.main_api_base_url
            ),
            LAKE_RESOURCE: lake,
            "dixa_lake": DixaLakeIOManager(parquet_lake=lake),
        },
    )


def daily_job_description(lookback_days: int) -> str:
    return (
        "Fetch the selected days of the raw assets into the Parquet lake: from the Exports API "
        "dixa_conversations (each conversation's current version, by the day of its updated_at) "
        "and dixa_messages (by the day of their created_at), a range of days in one request per "
        "endpoint; from the main API dixa_activity_log (entries by the day of their "
        "activityTimestamp). Then their checks run (freshness, ids, required fields, schema "
        f"drift, window). Its schedules select the last {lookback_days} complete day(s) "
        "(DIXA_LOOKBACK_DAYS) and today so far. The DuckDB tables follow by automation, not in "
        "this job."
    )
