"""Any DuckDB file name works, ``dixa.duckdb`` included, and the UI names each table and its
columns' sources (``dagster/table_name``, ``dagster/column_lineage``) as they really are.

DuckDB names the catalog after the file, so in ``dixa.duckdb`` a two-part ``dixa.<table>`` is
ambiguous between catalog and schema; the project's connections resolve their tables in
``<catalog>.dixa`` and any other client reaches them as ``dixa.dixa.<table>``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
from dagster import AssetKey

from dixa_assets.arrow.schemas import CONVERSATIONS, MESSAGES
from dixa_assets.definitions import build_definitions
from dixa_assets_tests.conftest import day_ms, run_assets
from dixa_assets_tests.defs.modelled.conftest import MODELLED, RAW

DAYS = ("2025-03-03", "2025-03-04")
TABLES = {name: f"dixa.dixa.{name}" for name in MODELLED} | {"dixa_erasures": "dixa.dixa.erasures"}


def test_a_database_file_named_dixa_duckdb_goes_end_to_end(settings, simulator):
    settings = dataclasses.replace(
        settings, duckdb_path=str(Path(settings.data_dir) / "dixa.duckdb")
    )
    assert run_assets(settings, RAW, *DAYS).success
    assert run_assets(settings, ["conversations"], None).success
    assert run_assets(settings, list(MODELLED[1:]), *DAYS).success
    erasure = run_assets(settings, ["dixa_erasures"], None)
    assert erasure.success
    assert all(check.passed for check in erasure.get_asset_check_evaluations())

    graph = build_definitions(settings).resolve_asset_graph()
    # Every DuckDB asset names its table with the catalog, the materialized ones as stored.
    duckdb_assets = [key for key in graph.get_all_asset_keys() if "duckdb" in graph.get(key).kinds]
    assert {AssetKey(name) for name in TABLES} <= set(duckdb_assets)
    for key in duckdb_assets:
        table_name = graph.get(key).metadata["dagster/table_name"]
        assert table_name.startswith("dixa.dixa.") and table_name.count(".") == 2, key
    org = simulator.organisation
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        for name, table in TABLES.items():
            assert graph.get(AssetKey(name)).metadata["dagster/table_name"] == table
            con.execute(f"SELECT count(*) FROM {table}").fetchall()  # an outside client's name
        (messages,) = con.execute(
            f"SELECT count(*) FROM {TABLES['conversation_messages']}"
        ).fetchone()
        metrics = TABLES["daily_support_metrics"]
        (added_up,) = con.execute(
            f"SELECT sum(inbound_messages + outbound_messages) FROM {metrics}"
        ).fetchone()
    expected = sum(len(org.messages(*day_ms(day))) for day in DAYS)
    assert expected and messages == added_up == expected


def test_column_lineage_names_every_column_and_only_columns_that_exist_upstream(
    settings, simulator
):
    assert run_assets(settings, RAW, DAYS[0]).success
    assert run_assets(settings, ["conversations"], None).success
    assert run_assets(settings, list(MODELLED[1:]), DAYS[0]).success
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        columns = {
            AssetKey(name): {
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM duckdb_columns() "
                    "WHERE schema_name = 'dixa' AND table_name = $t",
                    {"t": name},
                ).fetchall()
            }
            for name in MODELLED
        }
    columns[AssetKey(RAW[0])] = set(CONVERSATIONS.arrow_schema.names)
    columns[AssetKey(RAW[1])] = set(MESSAGES.arrow_schema.names)

    graph = build_definitions(settings).resolve_asset_graph()
    for name in MODELLED:
        node = graph.get(AssetKey(name))
        lineage = node.metadata["dagster/column_lineage"].deps_by_column
        assert set(lineage) == columns[node.key], name
        for column, deps in lineage.items():
            assert deps, (name, column)
            for dep in deps:
                assert dep.asset_key in node.parent_keys, (name, column, dep)
                assert dep.column_name in columns[dep.asset_key], (name, column, dep)
