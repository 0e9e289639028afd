"""`dixa_activity_log`: the main API's activity log, one Parquet file per day of
`activityTimestamp` in DIXA_TIMEZONE, written to the same lake the same way as the exports
(:func:`.day_files.store_days`: each day under its lock, atomically) and read back by the same
`dixa_lake` IO manager. Entries never change, so a re-run replaces its days; today's partition
holds the day so far (`fetched_until`).
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionsDefinition,
    asset,
)

from dixa_assets.arrow.activity_schema import ARROW_SCHEMA, PARTITION_COLUMN
from dixa_assets.arrow.records import MalformedRecordError
from dixa_assets.defs.metadata import column_schema, preview
from dixa_assets.defs.raw.day_files import store_days
from dixa_assets.defs.raw.export_assets import raw_day_asset
from dixa_assets.defs.raw.io_manager import file_metadata
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.main_api_resource import DixaMainApiResource
from dixa_assets.defs.raw.partitions import partition_windows
from dixa_assets.exports_api import Window
from dixa_assets.ingest.activity import ingest_activity
from dixa_assets.main_api import (
    AuthenticationError,
    InsecureTransportError,
    MalformedResponse,
    PaginationError,
    RequestRejected,
)

ASSET_NAME = "dixa_activity_log"
MAIN_API_POOL = "dixa_main_api"
PERMANENT_ERRORS = (
    AuthenticationError,
    InsecureTransportError,
    RequestRejected,
    MalformedResponse,
    PaginationError,
    MalformedRecordError,
)
# No personal column: Dagster keeps every preview in its event log, where no erasure reaches.
PREVIEW = ("id", "conversation_id", f"{PARTITION_COLUMN}_ts", "type", "author_id")


def build_activity_asset(partitions_def: TimeWindowPartitionsDefinition) -> AssetsDefinition:
    schema = column_schema(ARROW_SCHEMA)

    @asset(
        name=ASSET_NAME,
        description="Dixa's conversation activity log (main API): who did what and when, "
        "one row per entry, in the day of its activityTimestamp. Creation, offers, "
        "assignments, transfers, reopens, notes, closes, messages (with the agent's id), tags, "
        "ratings. Unknown _types and attributes are kept as JSON and reported as drift.",
        **raw_day_asset(partitions_def, PARTITION_COLUMN, schema, MAIN_API_POOL),
        check_specs=[
            AssetCheckSpec(
                "schema_drift",
                asset=ASSET_NAME,
                description="Warns when the API sent _types, attributes or fields the notes do "
                "not list (kept as JSON in extra_attributes / extra_fields).",
            )
        ],
    )
    def dixa_activity_log(
        context: AssetExecutionContext,
        dixa_main: DixaMainApiResource,
        parquet_lake: ParquetLakeResource,
    ) -> MaterializeResult:
        keys = context.partition_keys
        label = keys[0] if len(keys) == 1 else f"{keys[0]}...{keys[-1]}"
        where = f"{ASSET_NAME} partition {label}"
        window = Window.between(*context.partition_time_window)
        try:
            with dixa_main.open_client(context.log) as client:
                ingested = ingest_activity(client, window, where)
                metrics = client.metrics.as_dict()
                pages = client.pages
                fetched_until = client.complete_until(window)
        except PERMANENT_ERRORS as error:
            raise Failure(description=str(error), allow_retries=False) from None
        table = ingested.table
        windows = partition_windows(partitions_def, keys)
        lake = parquet_lake.get_lake()
        days = store_days(lake, ASSET_NAME, table, PARTITION_COLUMN, keys, windows)
        for day, day_window in zip(days, windows, strict=True):
            until = min(day_window.end_ms, fetched_until)
            context.add_asset_metadata(
                {
                    "dagster/row_count": day.rows,
                    "fetched_until": MetadataValue.timestamp(until / 1000),
                    "complete": until >= day_window.end_ms,
                    "preview": preview(day.head, PREVIEW),
                    **file_metadata(lake, ASSET_NAME, day.key),
                },
                partition_key=day.key,
            )
        drift = ingested.drift.as_dict()
        if ingested.drift:
            context.log.warning(f"{where}: the API sent what the notes do not list: {drift}")
        if ingested.duplicates_dropped:
            context.log.warning(f"{where}: {ingested.duplicates_dropped} entr(ies) came twice")
        drift_check = AssetCheckResult(
            check_name="schema_drift",
            passed=not ingested.drift,
            severity=AssetCheckSeverity.WARN,
            metadata={"drift": MetadataValue.json(drift)},
        )
        return MaterializeResult(
            check_results=[drift_check],
            metadata={
                "dagster/column_schema": schema,
                "run_window_start": MetadataValue.timestamp(window.start_ms / 1000),
                "run_window_end": MetadataValue.timestamp(window.end_ms / 1000),
                "run_fetched_until": MetadataValue.timestamp(fetched_until / 1000),
                "run_partitions": len(keys),
                "run_rows": table.num_rows,
                "run_requests": metrics["requests"],
                "run_pages": pages,
                "run_retries": metrics["retries"],
                "run_response_bytes": metrics["bytes"],
                "run_request_seconds": metrics["seconds"],
                "run_waited_seconds": metrics["waited_seconds"],
                "run_edge_records_dropped": metrics["edge_records"],
                "run_stray_records_dropped": metrics["stray_records"],
                "run_duplicate_records_dropped": ingested.duplicates_dropped,
                "run_drift": MetadataValue.json(drift),
            },
        )

    return dixa_activity_log
