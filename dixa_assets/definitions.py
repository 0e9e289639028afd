"""The code location: ``defs`` is what ``dagster dev``, ``dg`` and the CLI load."""

from __future__ import annotations

import warnings

from dagster import (
    AssetSelection,
    BetaWarning,
    Definitions,
    EnvVar,
    SupersessionWarning,
    define_asset_job,
)

from .activity_asset import build_activity_asset
from .code_references import with_code_references
from .dimension_assets import build_dimension_definitions
from .freshness import freshness_sensor, raw_freshness_checks
from .io_manager import DixaLakeIOManager
from .main_api_resource import DixaMainApiResource
from .modelled.definitions import build_modelled_definitions
from .partitions import daily_partitions
from .raw_assets import RAW_EXPORTS, RAW_GROUP, build_raw_asset
from .raw_schedules import daily_schedule, refresh_schedule
from .reconciliation_job import build_reconciliation
from .resources import DixaExportsResource, token_from_environment
from .settings import Settings

DAILY_JOB = "dixa_daily_job"

# Single-run backfills (`backfill_policy`) are what make a year cost 12 requests, not 365; we use
# that beta API knowingly, so its warning would only be noise in every run's log.
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")
# The UI's links from each asset to its source (code_references.py) are beta too.
warnings.filterwarnings(
    "ignore", category=BetaWarning, message=".*(CodeReference|code_references).*"
)
# Dagster marks the time-partition freshness checks superseded by asset-level FreshnessPolicy,
# which cannot say which day is late: we keep the checks for the raw days, knowingly.
warnings.filterwarnings("ignore", category=SupersessionWarning, message=".*freshness_checks.*")


def build_definitions(settings: Settings) -> Definitions:
    """Everything of the project for one set of settings (tests build several)."""
    partitions_def = daily_partitions(settings)
    raw_assets = [
        build_raw_asset(export, partitions_def, settings.data_dir) for export in RAW_EXPORTS
    ]
    freshness_checks = raw_freshness_checks(raw_assets, settings.timezone)
    raw_assets.append(build_activity_asset(partitions_def, settings.data_dir))
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
    dimensions, dimensions_job, dimensions_schedule = build_dimension_definitions(
        settings.data_dir, settings.timezone
    )
    schedules.append(dimensions_schedule)
    raw = Definitions(
        assets=with_code_references([*raw_assets, *dimensions]),
        asset_checks=freshness_checks,
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
                api_token=EnvVar("DIXA_API_TOKEN"), base_url=settings.main_api_base_url
            ),
            "dixa_lake": DixaLakeIOManager(base_dir=settings.data_dir),
        },
    )
    return Definitions.merge(raw, build_modelled_definitions(settings, partitions_def))


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


defs = build_definitions(Settings.from_env())
