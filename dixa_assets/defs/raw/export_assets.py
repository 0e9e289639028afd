"""The raw export assets: each daily partition is one half-open window of the export.

``dixa_conversations`` is the export's change log: a day holds the versions of conversations
whose ``updated_at`` fell in the day when a run fetched it. A fetch of the day replaces the
versions it returns and keeps the others (conversations updated since, which now belong to a
later day), so nothing fetched once ever leaves the lake; ``dixa.conversations`` takes the newest
version of each id across all days.

``dixa_messages`` holds the messages whose own ``created_at`` falls in the day. Messages do not
change, so a day is final once it has passed.

Today is a partition too: a run of it fetches the day so far (``fetched_until`` in its metadata)
and later runs replace it as the day grows.

A run may cover one day or a range of days (a single-run backfill): the client fetches the range
in as few requests as the API's 31-day limit allows, and each day is written to its Parquet file
(:mod:`.day_files`) as soon as the requests covering it have arrived; the IO manager serves the
days to downstream assets. A range longer than one request also reports each day to Dagster as
soon as it is stored, so a run that fails or is killed later keeps it materialized, and a re-run
of the missing days fetches only those.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    TableSchema,
    TimeWindowPartitionsDefinition,
    asset,
)

from dixa_assets.arrow.schemas import CONVERSATIONS, EXTRA_FIELDS, MESSAGES, TableSpec
from dixa_assets.defs.metadata import column_schema, preview
from dixa_assets.defs.raw.day_files import DayStored, store_each
from dixa_assets.defs.raw.exports_resource import DixaExportsResource
from dixa_assets.defs.raw.io_manager import PARTITION_COLUMN_KEY, file_metadata
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.partitions import partition_windows
from dixa_assets.exports_api import PermanentError, Window
from dixa_assets.ingest.exports import DayStream, Fetch

API_POOL = "dixa_exports_api"
RAW_GROUP = "dixa_raw"
OWNERS = ["team:support-data"]
# Transient failures that outlast the client's own retries (an API outage, a locked database).
RETRY = RetryPolicy(max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


def raw_day_asset(
    partitions_def: TimeWindowPartitionsDefinition,
    partition_column: str,
    columns: TableSchema,
    pool: str,
) -> dict[str, Any]:
    """What every raw asset declares alike (``@asset(name=..., **raw_day_asset(...))``): its
    days go to the lake through the ``dixa_lake`` IO manager, a range of days is one run that
    may be retried, and its metadata names the partitioning column and the declared columns."""
    return {
        "partitions_def": partitions_def,
        "group_name": RAW_GROUP,
        "owners": OWNERS,
        "kinds": {"pandas", "parquet"},
        "io_manager_key": "dixa_lake",
        "pool": pool,
        "backfill_policy": BackfillPolicy.single_run(),
        "retry_policy": RETRY,
        "metadata": {
            PARTITION_COLUMN_KEY: partition_column,
            "dagster/column_schema": columns,
        },
    }


# What a day's preview shows: never a personal column (Dagster keeps previews in its event log,
# where no erasure reaches).
CONVERSATION_PREVIEW = ("id", "updated_at_ts", "initial_channel", "status", "queue_name")


@dataclass(frozen=True)
class RawExport:
    """One raw asset: its table, how a window is fetched, and what to show in a preview."""

    spec: TableSpec
    fetch: Fetch
    preview_columns: tuple[str, ...]
    description: str
    # Keep a day's versions of ids a re-fetch no longer returns (they moved to a later day).
    keep_versions_by: str | None = None

    @property
    def asset_name(self) -> str:
        return self.spec.asset


RAW_EXPORTS = (
    RawExport(
        spec=CONVERSATIONS,
        fetch=lambda client, window, sink: client.conversation_pieces(updated=window, sink=sink),
        preview_columns=CONVERSATION_PREVIEW,
        description="Dixa conversations by updated_at: each day holds the version of every "
        "conversation whose updated_at fell in the day when it was fetched (the export's change "
        "log). A re-fetch replaces the versions it returns and keeps those of conversations "
        "updated since, so nothing fetched is ever lost; dixa.conversations has the newest "
        "version of each. Today's partition holds the day so far (see fetched_until).",
        keep_versions_by="id",
    ),
    RawExport(
        spec=MESSAGES,
        fetch=lambda client, window, sink: client.message_pieces(created=window, sink=sink),
        preview_columns=("id", "csid", "created_at_ts", "direction", "initial_channel"),
        description="Dixa messages whose created_at falls in the day. Internal notes are not "
        "messages: they are in dixa_conversations.conversation_wrapup_notes.",
    ),
)


def build_raw_asset(
    export: RawExport, partitions_def: TimeWindowPartitionsDefinition
) -> AssetsDefinition:
    """The daily-partitioned asset for one export endpoint, writing its days to the
    ``parquet_lake``; the ``dixa_lake`` IO manager serves them to downstream assets."""
    schema = column_schema(export.spec.arrow_schema)

    @asset(
        name=export.asset_name,
        description=export.description,
        **raw_day_asset(partitions_def, export.spec.partition_field, schema, API_POOL),
    )
    def raw_export(
        context: AssetExecutionContext,
        dixa: DixaExportsResource,
        parquet_lake: ParquetLakeResource,
    ) -> Iterator[AssetMaterialization | MaterializeResult]:
        keys = context.partition_keys
        label = keys[0] if len(keys) == 1 else f"{keys[0]}...{keys[-1]}"
        where = f"{export.asset_name} partition {label}"
        windows = dict(zip(keys, partition_windows(partitions_def, keys), strict=True))
        lake = parquet_lake.get_lake()
        rows, duplicates = 0, 0
        try:
            with dixa.open_client(context.log) as client:
                stream = DayStream(
                    client, export.spec, export.fetch, windows.items(), where, lake.scratch_folder()
                )
                # Dagster records a run's partitions only when the step ends; a range that
                # takes several requests reports its days as they are stored, so that a failure
                # later keeps them (they get a second event, with the run's figures, at the end).
                report_now = not client.fits_one_request(stream.window)
                for days in stream:
                    stored = store_each(
                        lake,
                        export.asset_name,
                        [(day.key, windows[day.key], day) for day in days],
                        export.spec.partition_field,
                        export.keep_versions_by,
                    )
                    for day, fetched in zip(stored, days, strict=True):
                        rows += fetched.rows
                        duplicates += fetched.duplicates_dropped
                        metadata = {
                            **day_metadata(day, windows[day.key], stream, export),
                            **file_metadata(lake, export.asset_name, day.key),
                        }
                        context.add_asset_metadata(metadata, partition_key=day.key)
                        if report_now:
                            yield AssetMaterialization(
                                context.asset_key, partition=day.key, metadata=metadata
                            )
                metrics = client.metrics.as_dict()
        except PermanentError as error:
            # Retrying the step cannot fix a setting, a refused token or a malformed record.
            raise Failure(description=str(error), allow_retries=False) from None
        if duplicates:
            context.log.warning(
                f"{where}: {duplicates} record(s) came twice; kept the latest version of each id"
            )
        unknown = stream.unknown_fields
        if unknown:
            context.log.warning(
                f"{where}: fields the reference does not list were kept in {EXTRA_FIELDS}: "
                f"{dict(sorted(unknown.items()))}"
            )
        window = stream.window
        # Figures of the whole run: in a multi-day run every day shows the same, hence "run_".
        yield MaterializeResult(
            metadata={
                "dagster/column_schema": schema,
                "lake_folder": str(lake.root / export.asset_name),
                "run_window_start": MetadataValue.timestamp(window.start_ms / 1000),
                "run_window_end": MetadataValue.timestamp(window.end_ms / 1000),
                "run_fetched_until": MetadataValue.timestamp(stream.complete_until_ms / 1000),
                "run_partitions": len(keys),
                "run_rows": rows,
                "run_requests": metrics["requests"],
                "run_retries": metrics["retries"],
                "run_window_splits": metrics["window_splits"],
                "run_response_bytes": metrics["bytes"],
                "run_request_seconds": metrics["seconds"],
                "run_waited_seconds": metrics["waited_seconds"],
                "run_edge_records_dropped": stream.edge_records,
                "run_stray_records_dropped": stream.stray_records,
                "run_duplicate_records_dropped": duplicates,
                "run_unknown_fields": MetadataValue.json(dict(sorted(unknown.items()))),
            },
        )

    return raw_export


def day_metadata(
    day: DayStored, window: Window, stream: DayStream, export: RawExport
) -> dict[str, object]:
    """What the UI shows for one day: its file's rows, whether the day was complete when
    fetched (today's is not), and its first rows."""
    fetched_until = min(window.end_ms, stream.complete_until_ms)
    metadata: dict[str, object] = {
        "dagster/row_count": day.rows,
        "fetched_until": MetadataValue.timestamp(fetched_until / 1000),
        "complete": fetched_until >= window.end_ms,
        "preview": preview(day.head, export.preview_columns),
    }
    if export.keep_versions_by is not None:
        metadata["versions_kept"] = day.versions_kept
    return metadata
