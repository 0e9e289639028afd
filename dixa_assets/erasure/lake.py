"""The raw Parquet days: which conversations are anonymized, and the days rewritten without their
personal data.

A conversation is anonymized when its newest stored version (highest ``updated_at`` over every
``dixa_conversations`` day, ties as in ``dixa.conversations``) has ``anonymized_at``. Every day
file holding one of its rows with personal data left (an older version, the newest one where the
API kept a field, any of its messages) is rewritten whole through :meth:`ParquetLake.write`, so a
reader sees the old file or the new one and a killed run leaves every file whole; only the
personal columns of those rows change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from dixa_assets.erasure.personal import (
    RAW_PERSONAL,
    PersonalColumns,
    dirty_predicate,
    erased_value,
)
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import attach_lake

ANONYMIZED = "anonymized"
"""Name of the registered table of anonymized conversations (id, anonymized_at)."""
IS_ANONYMIZED = f"{{key}} IN (SELECT id FROM {ANONYMIZED})"
_ROW = "__erasure_row"

NEWEST_ANONYMIZED = """
SELECT id, anonymized_at FROM (
    SELECT id, anonymized_at
    FROM read_parquet($files, union_by_name = true, filename = true, file_row_number = true)
    QUALIFY row_number() OVER (
        PARTITION BY id ORDER BY updated_at DESC, filename DESC, file_row_number DESC
    ) = 1
)
WHERE anonymized_at IS NOT NULL
ORDER BY id
"""


@dataclass
class DirtyDays:
    """Rows with personal data left, by day file, and by conversation."""

    rows_by_day: dict[str, int] = field(default_factory=dict)
    rows_by_conversation: dict[int, int] = field(default_factory=dict)
    days_by_conversation: dict[int, set[str]] = field(default_factory=dict)


def anonymized_conversations(con: duckdb.DuckDBPyConnection, lake: ParquetLake) -> pa.Table:
    """``id``, ``anonymized_at`` of every conversation whose newest stored version is anonymized;
    also registered on ``con`` as table ``anonymized``."""
    attach_lake(con, lake.root)
    files = [str(lake.path("dixa_conversations", k)) for k in lake.partitions("dixa_conversations")]
    if files:
        table = con.sql(NEWEST_ANONYMIZED, params={"files": files}).to_arrow_table()
    else:
        table = pa.table(
            {"id": pa.array([], pa.int64()), "anonymized_at": pa.array([], pa.int64())}
        )
    con.register(ANONYMIZED, table)
    return table


def dirty_days(con: duckdb.DuckDBPyConnection, lake: ParquetLake, asset: str) -> DirtyDays:
    """The rows of ``asset``'s days that still hold personal data of an anonymized conversation
    (``anonymized`` must be registered on ``con``)."""
    personal = RAW_PERSONAL[asset]
    days = {str(lake.path(asset, key)): key for key in lake.partitions(asset)}
    found = DirtyDays()
    if not days:
        return found
    rules = personal.present(frozenset(_stored_columns(con, list(days))))
    key = personal.conversation_key
    sql = f"""
        SELECT filename, "{key}" AS conversation_id, count(*) AS n
        FROM read_parquet($files, union_by_name = true, filename = true)
        WHERE {IS_ANONYMIZED.format(key=f'"{key}"')} AND ({dirty_predicate(rules)})
        GROUP BY ALL
    """
    by_conversation: dict[int, int] = defaultdict(int)
    for filename, conversation, n in con.execute(sql, {"files": list(days)}).fetchall():
        day = days[filename]
        found.rows_by_day[day] = found.rows_by_day.get(day, 0) + n
        by_conversation[conversation] += n
        found.days_by_conversation.setdefault(conversation, set()).add(day)
    found.rows_by_conversation = dict(by_conversation)
    return found


def rewrite_day(con: duckdb.DuckDBPyConnection, lake: ParquetLake, asset: str, day: str) -> int:
    """Rewrite one day of ``asset`` with the personal data of anonymized conversations erased;
    returns the rows changed (0: the file is left as it is)."""
    with lake.lock(asset, day):  # a fetch merging the same day waits, and merges our result
        return _rewrite_day(con, lake, asset, day)


def _rewrite_day(con: duckdb.DuckDBPyConnection, lake: ParquetLake, asset: str, day: str) -> int:
    personal: PersonalColumns = RAW_PERSONAL[asset]
    table = lake.read(asset, [day])
    rules = personal.present(frozenset(table.column_names))
    key = f'"{personal.conversation_key}"'
    anonymized = IS_ANONYMIZED.format(key=key)
    numbered = table.append_column(_ROW, pa.array(np.arange(table.num_rows)))
    con.register("erasure_day", numbered)
    try:
        changed = con.execute(
            f"SELECT count(*) FROM erasure_day WHERE {anonymized} AND ({dirty_predicate(rules)})"
        ).fetchall()[0][0]
        if not changed:
            return 0
        columns = ", ".join(f'{erased_value(n, r, anonymized)} AS "{n}"' for n, r in rules.items())
        erased = con.sql(f"SELECT {columns} FROM erasure_day ORDER BY {_ROW}").to_arrow_table()
    finally:
        con.unregister("erasure_day")
    for name in rules:
        index = table.schema.get_field_index(name)
        target = table.schema.field(index)
        table = table.set_column(index, target, erased.column(name).cast(target.type))
    lake.write(asset, day, table)
    return int(changed)


def _stored_columns(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[str]:
    """Columns of the day files (a column no file has cannot be read by name)."""
    result = con.execute(
        "SELECT * FROM read_parquet($files, union_by_name = true) LIMIT 0", {"files": files}
    )
    names = [column[0] for column in result.description]
    result.fetchall()  # DuckDB 2.0: an unfinished result blocks the connection
    return names
