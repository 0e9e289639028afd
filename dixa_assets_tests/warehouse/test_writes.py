"""Writes to DuckDB: a day is replaced exactly and atomically, its columns described."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dixa_assets.warehouse.database import exclusive_lock, use_schema
from dixa_assets.warehouse.writes import replace_days, transaction

TABLE = "example"  # in schema dixa, where use_schema puts the connection
DAY_ROWS = (
    "SELECT * FROM (VALUES (DATE '2025-03-02', 'new'), (DATE '2025-03-02', 'newer')) t(day, v)"
)
D1, D2 = date(2025, 3, 1), date(2025, 3, 2)
SECOND_DAY = {"first": D2, "last": D2}


def rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"SELECT day, v FROM {TABLE} ORDER BY ALL").fetchall()


@pytest.fixture
def con(tmp_path):
    database = str(tmp_path / "w.duckdb")
    with exclusive_lock(database), duckdb.connect(database) as connection:
        use_schema(connection)
        connection.execute(
            f"CREATE TABLE {TABLE} AS SELECT * FROM (VALUES (DATE '2025-03-01', 'a'), "
            "(DATE '2025-03-02', 'b'), (DATE '2025-03-02', 'c')) t(day, v)"
        )
        yield connection


def test_replacing_a_day_leaves_the_other_days_alone(con):
    with transaction(con):
        removed = replace_days(con, TABLE, DAY_ROWS, {}, SECOND_DAY, {"v": "what it's worth"})
    assert removed == 2
    assert rows(con) == [(D1, "a"), (D2, "new"), (D2, "newer")]
    comments = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'example'"
    ).fetchall()
    assert comments == [("day", None), ("v", "what it's worth")]


def test_a_failed_replacement_leaves_the_old_day_in_place(con):
    failing = "SELECT DATE '2025-03-02' AS day, error('boom') AS v"
    with pytest.raises(duckdb.Error, match="boom"), transaction(con):
        replace_days(con, TABLE, failing, {}, SECOND_DAY, {})
    assert rows(con) == [(D1, "a"), (D2, "b"), (D2, "c")]
