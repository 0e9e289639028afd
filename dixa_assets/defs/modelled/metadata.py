"""What the Dagster UI shows about a DuckDB table: its column schema and a preview of its rows.

The column schema is read back from DuckDB (types as DuckDB stores them, descriptions from the
column comments), so the UI shows the table as users will query it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
from dagster import TableColumn, TableColumnConstraints, TableSchema

from dixa_assets.defs.metadata import PREVIEW_ROWS, preview
from dixa_assets.warehouse.tables import DAY_COLUMN


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> TableSchema:
    """The columns of ``table`` (in the connection's schema) with their DuckDB types, comments
    and nullability."""
    rows = con.execute(
        """
        SELECT column_name, data_type, comment, is_nullable
        FROM duckdb_columns() WHERE database_name = current_database()
            AND schema_name = current_schema() AND table_name = $t
        ORDER BY column_index
        """,
        {"t": table},
    ).fetchall()
    return TableSchema(
        columns=[
            TableColumn(
                name=column,
                type=data_type,
                description=comment or None,
                constraints=TableColumnConstraints(nullable=nullable),
            )
            for column, data_type, comment, nullable in rows
        ]
    )


def describe_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    preview_columns: Sequence[str],
    days: Mapping[str, date] | None = None,
) -> dict[str, Any]:
    """The column schema and a preview of ``table`` (of its ``days`` only, when given)."""
    quoted = ", ".join(f'"{c}"' for c in preview_columns)
    where = f"{DAY_COLUMN} BETWEEN $first AND $last" if days else "true"
    head = pa.Table.from_pandas(
        con.execute(
            f"SELECT {quoted} FROM {table} WHERE {where} LIMIT {PREVIEW_ROWS}", days or {}
        ).df(),
        preserve_index=False,
    )
    return {
        "dagster/column_schema": table_schema(con, table),
        "preview": preview(head.to_pylist(), preview_columns),
    }
