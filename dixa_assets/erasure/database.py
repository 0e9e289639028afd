"""The DuckDB side of an erasure: every registered table in one transaction, the audit table, and
the database file rewritten.

DuckDB keeps the old values of updated rows in the file's freed blocks until those blocks are
reused, so an UPDATE alone leaves erased names and texts readable in the file's bytes. After the
transaction commits, the database is copied into a new file (``COPY FROM DATABASE`` copies live
rows only) and renamed over the old one, all under the project's database lock. A marker file
(``<database>.erasure-pending``), made before the transaction and removed after the rename, tells
the next run to finish the rewrite if this one was killed in between.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from dixa_assets.erasure.lake import ANONYMIZED
from dixa_assets.erasure.personal import TABLE_PERSONAL, dirty_predicate
from dixa_assets.warehouse.database import SCHEMA, column_names, exclusive_lock, use_schema
from dixa_assets.warehouse.writes import comment_columns, transaction

AUDIT_TABLE = "erasures"  # in schema dixa, as the modelled tables
AUDIT_COLUMNS = {
    "conversation_id": ("BIGINT", "Id of the anonymized conversation (csid)"),
    "anonymized_at": ("BIGINT", "anonymized_at of its newest stored version (epoch ms)"),
    "erased_at": ("TIMESTAMPTZ", "When this erasure removed its personal data"),
    "run_id": ("VARCHAR", "Dagster run that erased it"),
    "raw_files_rewritten": ("INTEGER", "Raw Parquet day files rewritten for it"),
    "rows_changed": (
        "MAP(VARCHAR, BIGINT)",
        "Rows whose personal data was erased, per raw asset and DuckDB table",
    ),
}
PENDING_SUFFIX = ".erasure-pending"

AuditBuilder = Callable[[Mapping[str, Mapping[int, int]]], pa.Table]
"""Builds the audit rows from the tables' rows changed by conversation (see :mod:`.procedure`)."""


def pending_marker(database: str) -> Path:
    return Path(f"{database}{PENDING_SUFFIX}")


def erase_tables(con: duckdb.DuckDBPyConnection) -> dict[str, dict[int, int]]:
    """Erase every registered table's personal data of the conversations in ``anonymized``
    (registered on ``con``), inside the caller's transaction; rows changed by table
    (``dixa.<table>``) and conversation id."""
    changed: dict[str, dict[int, int]] = {}
    for table, where in _dirty_filters(con).items():
        personal = TABLE_PERSONAL[table]
        key = personal.conversation_key
        counts = dict(
            con.execute(
                f'SELECT "{key}", count(*) FROM {table} WHERE {where} GROUP BY ALL'
            ).fetchall()
        )
        if counts:
            rules = personal.present(_columns(con, table))
            assignments = ", ".join(
                f'"{name}" = CASE WHEN {rule.dirty_sql(name)} THEN {rule.erase_sql(name)} '
                f'ELSE "{name}" END'
                for name, rule in rules.items()
            )
            con.execute(f"UPDATE {table} SET {assignments} WHERE {where}")
        changed[_schema_and_name(table)] = counts
    return changed


def leftover_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows still holding personal data of an anonymized conversation, by table
    (``dixa.<table>``)."""
    return {
        _schema_and_name(table): con.execute(
            f"SELECT count(*) FROM {table} WHERE {where}"
        ).fetchall()[0][0]
        for table, where in _dirty_filters(con).items()
    }


def record_audit(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """Append ``rows`` (the audit's columns) to the audit table, creating it on first use."""
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in AUDIT_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} ({columns})")
    comment_columns(con, AUDIT_TABLE, {name: text for name, (_, text) in AUDIT_COLUMNS.items()})
    if rows.num_rows:
        con.register("erasure_audit", rows)
        con.execute(f"INSERT INTO {AUDIT_TABLE} BY NAME SELECT * FROM erasure_audit")
        con.unregister("erasure_audit")


def erase_database(
    database: str,
    anonymized: pa.Table,
    audit_rows: AuditBuilder,
    lock_timeout_s: float,
) -> tuple[dict[str, dict[int, int]], bool]:
    """The tables' erasure and the audit in one transaction, then the file rewritten if any
    table changed (or a killed run left the rewrite pending). Returns the rows changed by table
    and conversation, and whether the file was rewritten."""
    marker = pending_marker(database)
    with exclusive_lock(database, lock_timeout_s):
        with duckdb.connect(database) as con:
            use_schema(con)
            con.register(ANONYMIZED, anonymized)
            if any(leftover_rows(con).values()):
                _touch(marker)
            with transaction(con):
                changed = erase_tables(con)
                record_audit(con, audit_rows(changed))
            con.execute("CHECKPOINT")
        rewritten = marker.exists()
        if rewritten:
            rewrite_database_file(database)
            marker.unlink()
    return changed, rewritten


def rewrite_database_file(database: str) -> None:
    """Copy the database's live contents into a new file and rename it over the old one (the
    caller holds the database lock and has no connection open)."""
    target = Path(database)
    copy = target.with_name(f".{target.name}.erasure.tmp")
    for leftover in (copy, Path(f"{copy}.wal")):
        leftover.unlink(missing_ok=True)
    with duckdb.connect(database) as con:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute("CHECKPOINT")
        quoted = str(copy).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS erasure_copy")
        con.execute(f'COPY FROM DATABASE "{catalog}" TO erasure_copy')
        con.execute("DETACH erasure_copy")
    wal = Path(f"{database}.wal")
    if wal.exists():
        # Its changes would be replayed onto the new file: refuse rather than corrupt it.
        raise RuntimeError(f"{wal} is still there after a checkpoint; not replacing {database}")
    with open(copy, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(copy, target)
    _fsync_folder(target.parent)


def _dirty_filters(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """For each registered table that exists: the WHERE clause of its rows with personal data of
    an anonymized conversation."""
    filters = {}
    for table, personal in TABLE_PERSONAL.items():
        columns = _columns(con, table)
        if not columns:
            continue
        rules = personal.present(columns)
        key = personal.conversation_key
        filters[table] = f'"{key}" IN (SELECT id FROM {ANONYMIZED}) AND ({dirty_predicate(rules)})'
    return filters


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> frozenset[str]:
    return frozenset(column_names(con, table))


def _schema_and_name(table: str) -> str:
    """How reports and the audit name a table: ``dixa.<table>``, the same for any file name."""
    return f"{SCHEMA}.{table}"


def _touch(marker: Path) -> None:
    with open(marker, "wb") as handle:
        os.fsync(handle.fileno())
    _fsync_folder(marker.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
