"""Writes to DuckDB through the ``duckdb`` resource: writers queue on the lock, and an empty lake
still gives a table. (Replacing days: ``dixa_assets_tests/warehouse/test_writes.py``.)"""

from __future__ import annotations

import threading

from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.warehouse.database import DatabaseBusy
from dixa_assets_tests.conftest import run_assets
from dixa_assets_tests.defs.modelled.conftest import query


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
