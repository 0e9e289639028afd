"""`dixa_agents`, `dixa_teams`, `dixa_queues`, `dixa_tags`: daily snapshots kept as SCD2 history.

The history lives in the lake (`$DIXA_DATA_DIR/<asset>/history.parquet`), beside the raw
exports, not in DuckDB: the API has no past, so the history cannot be rebuilt from anything and
belongs with the raw data (same atomic writes, same S3 support), while the DuckDB file stays
rebuildable from the lake. Each run reads the history, merges the snapshot
(:mod:`.dimension_history`) and replaces the file atomically; the `dixa_main_api` pool holds one
step at a time, so two snapshots never merge over each other.
"""

import time
from datetime import datetime

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    DefaultScheduleStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from dixa_assets.arrow.dimension_history import VALID_TO, merge_snapshot
from dixa_assets.defs.metadata import column_schema
from dixa_assets.defs.raw.activity_asset import MAIN_API_POOL, PERMANENT_ERRORS
from dixa_assets.defs.raw.export_assets import OWNERS, RETRY
from dixa_assets.defs.raw.io_manager import file_metadata
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.main_api_resource import DixaMainApiResource
from dixa_assets.ingest.dimensions import DIMENSIONS, HISTORY, Dimension

DIMENSIONS_GROUP = "dixa_dimensions"
DIMENSIONS_JOB = "dixa_dimensions_job"


class SnapshotConfig(Config):
    as_of: str | None = Field(
        default=None,
        description="Record the snapshot as taken at this ISO 8601 instant instead of now "
        "(replaying snapshots in order; it must be after the last one).",
    )


def build_dimension_asset(dimension: Dimension) -> AssetsDefinition:
    schema = column_schema(dimension.arrow_schema)

    @asset(
        name=dimension.name,
        description=dimension.description,
        group_name=DIMENSIONS_GROUP,
        owners=OWNERS,
        kinds={"parquet"},
        pool=MAIN_API_POOL,
        retry_policy=RETRY,
        metadata={"dagster/column_schema": schema},
    )
    def snapshot(
        context: AssetExecutionContext,
        config: SnapshotConfig,
        dixa_main: DixaMainApiResource,
        parquet_lake: ParquetLakeResource,
    ) -> MaterializeResult:
        at_ms = int(time.time() * 1000)
        if config.as_of:
            at_ms = int(datetime.fromisoformat(config.as_of).timestamp() * 1000)
        lake = parquet_lake.get_lake()
        try:
            with dixa_main.open_client(context.log) as client:
                rows = dimension.fetch(client, context.log)
                requests = client.metrics.requests
        except PERMANENT_ERRORS as error:
            raise Failure(description=str(error), allow_retries=False) from None
        history = []
        if HISTORY in lake.partitions(dimension.name):
            history = dimension.from_table(lake.read(dimension.name, [HISTORY]))
        try:
            merged, counts = merge_snapshot(history, rows, dimension.key, at_ms)
        except ValueError as error:
            raise Failure(description=f"{dimension.name}: {error}", allow_retries=False) from None
        lake.write(dimension.name, HISTORY, dimension.to_table(merged))
        current = sum(1 for row in merged if row[VALID_TO] is None)
        return MaterializeResult(
            metadata={
                "dagster/row_count": current,
                "dagster/column_schema": schema,
                "history_rows": len(merged),
                "versions_opened": counts["opened"],
                "versions_closed": counts["closed"],
                "versions_kept": counts["kept"],
                "snapshot_at": MetadataValue.timestamp(at_ms / 1000),
                "run_requests": requests,
                **file_metadata(lake, dimension.name, HISTORY),
            }
        )

    return snapshot


def build_dimension_definitions(timezone: str):
    """The four assets, a job over them and its daily schedule (off until switched on)."""
    assets = [build_dimension_asset(dimension) for dimension in DIMENSIONS]
    job = define_asset_job(
        DIMENSIONS_JOB,
        selection=[dimension.name for dimension in DIMENSIONS],
        description="Snapshot Dixa's agents, teams, queues and tags into their history.",
    )
    schedule = ScheduleDefinition(
        name=f"{DIMENSIONS_JOB}_schedule",
        job=job,
        cron_schedule="15 0 * * *",
        execution_timezone=timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Each day shortly after midnight in DIXA_TIMEZONE: one snapshot.",
    )
    return assets, job, schedule
