"""Writes to DuckDB: a day is replaced exactly and atomically, and writers queue on the lock."""

from __future__ import annotations

import threading
from datetime import date

import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.database import DatabaseBusy, locked_connection
from dixa_assets.defs.modelled.tables import replace_days, transaction
from dixa_assets_tests.conftest import run_assets
from dixa_assets_tests.defs.modelled.conftest import query

TABLE = "example"  # in schema dixa, where locked_connection puts the connection
DAY_ROWS = (
    "SELECT * FROM (VALUES (DATE '2025-03-02', 'new'), (DATE '2025-03-02', 'newer')) t(day, v)"
)
D1, D2 = date(2025, 3, 1), date(2025, 3, 2)
SECOND_DAY = {"first": D2, "last": D2}


def rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"SELECT day, v FROM {TABLE} ORDER BY ALL").fetchall()


@pytest.fixture
def con(tmp_path):
    with locked_connection(DuckDBResource(database=str(tmp_path / "w.duckdb"))) as connection:
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


def test_a_second_writer_waits_for_the_lock_and_gives_up_with_a_clear_error(tmp_path):
    resource = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    outcome: list[BaseException] = []

    def second_writer() -> None:
        try:
            with locked_connection(resource, timeout_s=0.3):
                pass
        except DatabaseBusy as error:
            outcome.append(error)

    with locked_connection(resource):
        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join()
    assert outcome and "stayed locked" in str(outcome[0])
    with locked_connection(resource, timeout_s=0.3):
        pass  # free again once the first writer is done


def test_conversations_from_an_empty_lake_is_an_empty_table_with_the_raw_schema(settings):
    assert run_assets(settings, ["conversations"], None).success
    columns = query(settings, "SELECT count(*) AS n FROM dixa.conversations")
    assert columns == [{"n": 0}]
    names = [
        row["column_name"]
        for row in query(
            settings,
            "SELECT column_name FROM duckdb_columns() "
            "WHERE schema_name = 'dixa' AND table_name = 'conversations'",
        )
    ]
    assert names[:3] == ["id", "created_at", "created_at_ts"] and "extra_fields" in names
