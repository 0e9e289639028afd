"""The raw export assets: each daily partition is one half-open window of the export.

``dixa_conversations`` is the export's change log: the conversations whose ``updated_at`` falls
in the day, as they stand when the partition runs. A conversation updated again later moves to a
later day on the next run of that day, and if the earlier day was stored first, both days hold a
version of it; the modelled ``conversations`` table keeps the latest. Re-running recent days (the
lookback schedule) is how late updates are captured.

``dixa_messages`` holds the messages whose own ``created_at`` falls in the day. Messages do not
change, so a day is final once it has passed.

A run may cover one day or a range of days (a single-run backfill): the client fetches the range
in as few requests as the API's 31-day limit allows and the IO manager splits the rows back into
their daily Parquet files.
"""

from dataclasses import dataclass

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    TimeWindowPartitionsDefinition,
    asset,
)

from .daily_split import partition_slots, partition_windows
from .exports_api import (
    AuthenticationError,
    InsecureTransportError,
    MalformedResponse,
    RequestRejected,
    Window,
)
from .ingest import Fetch, ingest_window
from .io_manager import PARTITION_COLUMN_KEY
from .metadata import column_schema, daily_metadata, unknown_field_counts
from .records import MalformedRecordError
from .resources import DixaExportsResource
from .schemas import CONVERSATIONS, EXTRA_FIELDS, MESSAGES, TableSpec

API_POOL = "dixa_exports_api"
RAW_GROUP = "dixa_raw"
OWNERS = ["team:support-data"]
# Transient failures that outlast the client's own retries (an API outage, a locked database).
RETRY = RetryPolicy(max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)
PERMANENT_ERRORS = (
    AuthenticationError,
    InsecureTransportError,
    RequestRejected,
    MalformedResponse,
    MalformedRecordError,
)


@dataclass(frozen=True)
class RawExport:
    """One raw asset: its table, how a window is fetched, and what to show in a preview."""

    asset_name: str
    spec: TableSpec
    fetch: Fetch
    preview_columns: tuple[str, ...]
    description: str


RAW_EXPORTS = (
    RawExport(
        asset_name="dixa_conversations",
        spec=CONVERSATIONS,
        fetch=lambda client, window, convert: client.conversations(updated=window, convert=convert),
        preview_columns=("id", "updated_at_ts", "initial_channel", "status", "queue_name"),
        description="Dixa conversations whose updated_at falls in the day (the export's change "
        "log, current state of each conversation when the day was fetched). One Parquet file "
        "per day; late updates move a conversation to a later day.",
    ),
    RawExport(
        asset_name="dixa_messages",
        spec=MESSAGES,
        fetch=lambda client, window, convert: client.messages(created=window, convert=convert),
        preview_columns=("id", "csid", "created_at_ts", "direction", "initial_channel"),
        description="Dixa messages whose created_at falls in the day. Internal notes are not "
        "messages: they are in dixa_conversations.conversation_wrapup_notes.",
    ),
)


def build_raw_asset(
    export: RawExport, partitions_def: TimeWindowPartitionsDefinition
) -> AssetsDefinition:
    """The daily-partitioned asset for one export endpoint."""
    schema = column_schema(export.spec.arrow_schema)

    @asset(
        name=export.asset_name,
        description=export.description,
        partitions_def=partitions_def,
        group_name=RAW_GROUP,
        owners=OWNERS,
        kinds={"pandas", "parquet"},
        io_manager_key="dixa_lake",
        pool=API_POOL,
        backfill_policy=BackfillPolicy.single_run(),
        retry_policy=RETRY,
        metadata={
            PARTITION_COLUMN_KEY: export.spec.partition_field,
            "dagster/column_schema": schema,
        },
    )
    def raw_export(context: AssetExecutionContext, dixa: DixaExportsResource) -> MaterializeResult:
        keys = context.partition_keys
        label = keys[0] if len(keys) == 1 else f"{keys[0]}...{keys[-1]}"
        where = f"{export.asset_name} partition {label}"
        window = Window.between(*context.partition_time_window)
        try:
            with dixa.open_client(context.log) as client:
                ingested = ingest_window(client, export.spec, export.fetch, window, where)
                metrics = client.metrics.as_dict()
        except PERMANENT_ERRORS as error:
            # Retrying the step cannot fix a refused token or a malformed record.
            raise Failure(description=str(error), allow_retries=False) from None
        table = ingested.table
        if ingested.duplicates_dropped:
            context.log.warning(
                f"{where}: {ingested.duplicates_dropped} record(s) came twice; kept the latest "
                "version of each id"
            )

        windows = partition_windows(partitions_def, keys)
        slots = partition_slots(table, export.spec.partition_field, windows)
        for key, day in daily_metadata(table, slots, keys, export.preview_columns).items():
            context.add_asset_metadata(day, partition_key=key)
        unknown = unknown_field_counts(table, EXTRA_FIELDS)
        if unknown:
            context.log.warning(
                f"{where}: fields the reference does not list were kept in {EXTRA_FIELDS}: "
                f"{unknown}"
            )
        # Figures of the whole run: in a multi-day run every day shows the same, hence "run_".
        return MaterializeResult(
            value=table.to_pandas(types_mapper=pd.ArrowDtype),
            metadata={
                "dagster/column_schema": schema,
                "run_window_start": MetadataValue.timestamp(window.start_ms / 1000),
                "run_window_end": MetadataValue.timestamp(window.end_ms / 1000),
                "run_partitions": len(keys),
                "run_rows": table.num_rows,
                "run_requests": metrics["requests"],
                "run_retries": metrics["retries"],
                "run_response_bytes": metrics["bytes"],
                "run_request_seconds": metrics["seconds"],
                "run_waited_seconds": metrics["waited_seconds"],
                "run_edge_records_dropped": ingested.edge_records,
                "run_stray_records_dropped": ingested.stray_records,
                "run_duplicate_records_dropped": ingested.duplicates_dropped,
                "run_unknown_fields": MetadataValue.json(unknown),
            },
        )

    return raw_export
