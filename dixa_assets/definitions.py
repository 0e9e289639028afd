"""The code location: ``defs`` is what ``dagster dev``, ``dg`` and the CLI load."""

from __future__ import annotations

import warnings

from dagster import (
    AssetSelection,
    BetaWarning,
    Definitions,
    EnvVar,
    define_asset_job,
)

from .io_manager import DixaLakeIOManager
from .modelled.automation import lookback_schedule
from .modelled.definitions import build_modelled_definitions
from .partitions import daily_partitions
from .raw_assets import RAW_EXPORTS, RAW_GROUP, build_raw_asset
from .resources import DixaExportsResource
from .settings import Settings

DAILY_JOB = "dixa_daily_job"

# Single-run backfills (`backfill_policy`) are what make a year cost 12 requests, not 365; we use
# that beta API knowingly, so its warning would only be noise in every run's log.
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")


def build_definitions(settings: Settings) -> Definitions:
    """Everything of the project for one set of settings (tests build several)."""
    partitions_def = daily_partitions(settings)
    raw_assets = [build_raw_asset(export, partitions_def) for export in RAW_EXPORTS]
    daily_job = define_asset_job(
        DAILY_JOB,
        selection=AssetSelection.groups(RAW_GROUP),
        description="Fetch one day of Dixa conversations and messages into the Parquet lake.",
    )
    raw = Definitions(
        assets=raw_assets,
        jobs=[daily_job],
        # Shortly after each day ends in DIXA_TIMEZONE: one run over the last lookback days.
        schedules=[lookback_schedule(DAILY_JOB, partitions_def, settings.lookback_days)],
        resources={
            "dixa": DixaExportsResource(
                api_token=EnvVar("DIXA_API_TOKEN"),
                base_url=settings.api_base_url,
                requests_per_minute=settings.requests_per_minute,
            ),
            "dixa_lake": DixaLakeIOManager(base_dir=settings.data_dir),
        },
    )
    return Definitions.merge(raw, build_modelled_definitions(settings, partitions_def))


defs = build_definitions(Settings.from_env())
