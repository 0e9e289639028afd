"""One erasure: find the anonymized conversations, rewrite the raw days, erase the tables.

Order matters for safety against concurrent runs: the raw days are rewritten first, then the
tables are erased under the database lock. A modelled run that read the lake before the rewrite
holds that lock while it writes, so its rows are erased after it; one that starts later reads the
rewritten days. Every step only looks at what is still there, so a run killed at any point is
finished by the next one, and a run with nothing left to erase changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from dixa_assets.erasure.database import erase_database, leftover_rows, pending_marker
from dixa_assets.erasure.lake import ANONYMIZED, anonymized_conversations, dirty_days, rewrite_day
from dixa_assets.erasure.personal import RAW_PERSONAL
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.warehouse.database import WRITE_LOCK_TIMEOUT_S, exclusive_lock, use_schema


@dataclass
class ErasureReport:
    """What one erasure did; the same figures go to the audit table and the run's metadata."""

    anonymized_conversations: int = 0
    erased_conversations: list[int] = field(default_factory=list)
    raw_files_rewritten: dict[str, list[str]] = field(default_factory=dict)
    rows_changed: dict[str, int] = field(default_factory=dict)
    database_rewritten: bool = False
    audit: list[dict] = field(default_factory=list)


def erase(
    lake: ParquetLake, database: str, run_id: str, lock_timeout_s: float = WRITE_LOCK_TIMEOUT_S
) -> ErasureReport:
    """Remove every personal field of every anonymized conversation from the lake and tables."""
    report = ErasureReport()
    rows_by_conversation: dict[str, dict[int, int]] = {}
    days_by_conversation: dict[int, set[tuple[str, str]]] = {}
    with duckdb.connect() as con:
        anonymized = anonymized_conversations(con, lake)
        report.anonymized_conversations = anonymized.num_rows
        for asset in RAW_PERSONAL:
            dirty = dirty_days(con, lake, asset)
            rewritten = [
                day for day in sorted(dirty.rows_by_day) if rewrite_day(con, lake, asset, day)
            ]
            report.raw_files_rewritten[asset] = rewritten
            report.rows_changed[asset] = sum(dirty.rows_by_day[day] for day in rewritten)
            rows_by_conversation[asset] = dirty.rows_by_conversation
            for conversation, days in dirty.days_by_conversation.items():
                days_by_conversation.setdefault(conversation, set()).update(
                    (asset, day) for day in days
                )
    anonymized_at = dict(
        zip(
            anonymized.column("id").to_pylist(),
            anonymized.column("anonymized_at").to_pylist(),
            strict=True,
        )
    )
    erased_at = datetime.now(UTC)

    def audit_rows(tables: Mapping[str, Mapping[int, int]]) -> pa.Table:
        by_target = {**rows_by_conversation, **tables}
        ids = sorted({c for counts in by_target.values() for c in counts})
        report.erased_conversations = ids
        report.audit = [
            {
                "conversation_id": c,
                "anonymized_at": anonymized_at.get(c),
                "erased_at": erased_at,
                "run_id": run_id,
                "raw_files_rewritten": len(days_by_conversation.get(c, ())),
                "rows_changed": {t: counts[c] for t, counts in by_target.items() if c in counts},
            }
            for c in ids
        ]
        return pa.Table.from_pylist(report.audit, schema=AUDIT_SCHEMA)

    tables, report.database_rewritten = erase_database(
        database, anonymized, audit_rows, lock_timeout_s
    )
    for table, counts in tables.items():
        report.rows_changed[table] = sum(counts.values())
    return report


def leftovers(
    lake: ParquetLake, database: str, lock_timeout_s: float = WRITE_LOCK_TIMEOUT_S
) -> dict[str, int]:
    """Rows still holding personal data of an anonymized conversation, by raw asset and table,
    and whether a database rewrite is pending (1) — all zero once an erasure has completed."""
    found: dict[str, int] = {}
    with duckdb.connect() as con:
        anonymized = anonymized_conversations(con, lake)
        for asset in RAW_PERSONAL:
            found[asset] = sum(dirty_days(con, lake, asset).rows_by_day.values())
    with exclusive_lock(database, lock_timeout_s), duckdb.connect(database) as con:
        use_schema(con)
        con.register(ANONYMIZED, anonymized)
        found.update(leftover_rows(con))
    found["database_rewrite_pending"] = int(pending_marker(database).exists())
    return found


AUDIT_SCHEMA = pa.schema(
    [
        pa.field("conversation_id", pa.int64()),
        pa.field("anonymized_at", pa.int64()),
        pa.field("erased_at", pa.timestamp("us", tz="UTC")),
        pa.field("run_id", pa.string()),
        pa.field("raw_files_rewritten", pa.int32()),
        pa.field("rows_changed", pa.map_(pa.string(), pa.int64())),
    ]
)
