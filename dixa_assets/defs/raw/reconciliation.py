"""Reconciliation: the current state of every stored conversation, compared with the lake.

Dixa does not document whether anonymizing a conversation moves its ``updated_at``; if it does
not, no daily re-fetch by ``updated_at`` ever sees the anonymization. So, periodically, every
conversation created in the span the lake covers is read again by ``created_at``, in 31-day
windows (a year of history is 12 requests), and each one whose current state the lake does not
have yet (missing altogether, updated later, or anonymized since) is merged into the raw day of
its ``updated_at`` exactly as a fetch merges a conversations day: the higher ``updated_at``
wins and, on a tie, the version just fetched. From there the usual path takes over:
``dixa_erasures`` and the modelled tables follow the changed raw days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dagster import TimeWindowPartitionsDefinition

from dixa_assets.arrow.schemas import CONVERSATIONS
from dixa_assets.defs.raw.day_files import store_days
from dixa_assets.defs.raw.partitions import partition_windows
from dixa_assets.exports_api import ExportsClient, Window
from dixa_assets.ingest.exports import ingest_window
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import attach_lake

ASSET = "dixa_conversations"

STORED_SPAN = """
SELECT min(created_at), max(created_at)
FROM read_parquet($files, union_by_name = true)
"""

NOT_IN_LAKE = """
WITH stored AS (
    SELECT id, updated_at, anonymized_at
    FROM read_parquet($files, union_by_name = true, filename = true, file_row_number = true)
    QUALIFY row_number() OVER (
        PARTITION BY id ORDER BY updated_at DESC, filename DESC, file_row_number DESC
    ) = 1
)
SELECT f.row AS row, s.id IS NULL AS missing,
    s.id IS NOT NULL AND f.anonymized_at IS DISTINCT FROM s.anonymized_at AS anonymized
FROM fetched AS f LEFT JOIN stored AS s USING (id)
WHERE s.id IS NULL OR f.updated_at > s.updated_at
    OR (f.updated_at = s.updated_at AND f.anonymized_at IS DISTINCT FROM s.anonymized_at)
ORDER BY f.row
"""
"""Fetched conversations whose current state the lake lacks: not stored at all, updated later
than the newest stored version, or anonymized since without ``updated_at`` moving."""


@dataclass
class Reconciled:
    """What a reconciliation found and wrote."""

    span: Window | None = None
    fetched: int = 0
    missing: int = 0
    anonymized: int = 0
    updated: int = 0
    days_written: list[str] = field(default_factory=list)
    days_not_stored: list[str] = field(default_factory=list)


def reconcile(
    client: ExportsClient,
    lake: ParquetLake,
    partitions_def: TimeWindowPartitionsDefinition,
) -> Reconciled:
    """Re-read every stored conversation and merge what changed into its raw day."""
    result = Reconciled()
    keys = lake.partitions(ASSET)
    if not keys:
        return result
    files = [str(lake.path(ASSET, key)) for key in keys]
    with duckdb.connect() as con:
        attach_lake(con, lake.root)
        first, last = con.execute(STORED_SPAN, {"files": files}).fetchall()[0]
        result.span = Window(first, last + 1)
        fetch = lambda c, window, sink: c.conversation_pieces(created=window, sink=sink)  # noqa: E731
        fetched = ingest_window(client, CONVERSATIONS, fetch, result.span, "reconciliation").table
        result.fetched = fetched.num_rows
        con.register(
            "fetched",
            pa.table(
                {
                    "row": pa.array(range(fetched.num_rows), pa.int64()),
                    "id": fetched.column("id"),
                    "updated_at": fetched.column("updated_at"),
                    "anonymized_at": fetched.column("anonymized_at"),
                }
            ),
        )
        changes = con.sql(NOT_IN_LAKE, params={"files": files}).to_arrow_table()
    missing = changes.column("missing").to_pylist()
    anonymized = changes.column("anonymized").to_pylist()
    result.missing = sum(missing)
    result.anonymized = sum(anonymized)
    result.updated = changes.num_rows - result.missing - result.anonymized
    changed = fetched.take(changes.column("row"))
    result.days_written, result.days_not_stored = merge_into_days(lake, partitions_def, changed)
    return result


def merge_into_days(
    lake: ParquetLake, partitions_def: TimeWindowPartitionsDefinition, rows: pa.Table
) -> tuple[list[str], list[str]]:
    """Merge conversation versions into the stored days of their ``updated_at``, the same way a
    fetch writes a conversations day (:func:`.day_files.store_days`: under the day's lock, the
    newest version per id wins, ties to the fetched one). Returns the days written, and the days
    not stored (never fetched yet) whose rows were left for the day's own fetch: a day written
    with only these rows would look complete.
    """
    if rows.num_rows == 0:
        return [], []
    days = _local_days(rows, partitions_def.timezone)
    stored = set(lake.partitions(ASSET))
    keys = sorted(set(days) & stored)
    inside = rows.filter(pa.array([day in stored for day in days]))
    windows = partition_windows(partitions_def, keys)
    store_days(lake, ASSET, inside, "updated_at", keys, windows, keep_versions_by="id")
    return keys, sorted(set(days) - stored)


def _local_days(rows: pa.Table, timezone: str) -> Sequence[str]:
    """Each row's partition key: the local day of its ``updated_at`` in ``timezone``."""
    stamps = pc.cast(rows.column("updated_at"), pa.timestamp("ms", tz=timezone))
    return pc.strftime(stamps, "%Y-%m-%d").to_pylist()
