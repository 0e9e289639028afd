"""How the modelled tables are written: whole days replaced in one transaction, columns described.

Re-running a partition must replace exactly that partition's rows, atomically: a reader sees the
old day or the new day, never both or neither, and a failed run leaves the old day in place. The
table is created on first use from the same SELECT that fills it, so its columns are the query's
(a later change of the query needs the table dropped and its days re-run).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import duckdb

from dixa_assets.warehouse.database import column_names
from dixa_assets.warehouse.tables import DAY_COLUMN


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def run_days(partition_keys: Sequence[str]) -> dict[str, date]:
    """The ``$first``/``$last`` parameters of a run over consecutive daily partitions."""
    return {
        "first": date.fromisoformat(partition_keys[0]),
        "last": date.fromisoformat(partition_keys[-1]),
    }


def replace_days(
    con: duckdb.DuckDBPyConnection,
    table: str,
    select_sql: str,
    params: Mapping[str, Any],
    days: Mapping[str, date],
    descriptions: Mapping[str, str],
) -> int:
    """Replace the rows of ``days`` (``first``..``last``) of ``table`` by ``select_sql``'s rows.

    Runs inside the caller's transaction; returns how many old rows were removed. The SELECT
    must only produce rows of those days (its ``day`` column). The columns are described with
    ``descriptions`` (:func:`comment_columns`).
    """
    create = f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM ({select_sql}) LIMIT 0"
    con.execute(create, params)
    deleted = con.execute(
        f"DELETE FROM {table} WHERE {DAY_COLUMN} BETWEEN $first AND $last", days
    ).fetchone()
    con.execute(f"INSERT INTO {table} BY NAME {select_sql}", params)
    comment_columns(con, table, descriptions)
    return int(deleted[0]) if deleted else 0


def comment_columns(
    con: duckdb.DuckDBPyConnection, table: str, descriptions: Mapping[str, str]
) -> None:
    """Store each column's description as its DuckDB comment (shown by ``duckdb_columns()`` and
    in the Dagster UI's column schema). Columns the table does not have are skipped."""
    present = set(column_names(con, table))
    for column, text in descriptions.items():
        if column in present:
            literal = text.replace("'", "''")
            con.execute(f"COMMENT ON COLUMN {table}.\"{column}\" IS '{literal}'")
