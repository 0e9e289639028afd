"""End to end against the simulator: end users anonymized after their conversations were stored
leave no personal data in the lake, the DuckDB tables or the files' bytes; nothing else changes.

1. clock at 03-07: the raw days 03-01...03-06, then whatever automation asks for (the
   organisation's own anonymizations of single conversations are erased there already);
2. three end users are anonymized on 03-07 (updated_at moves); clock at 03-08: the last three
   days are fetched again, the modelled tables brought up to date; snapshot ("before");
3. automation asks for ``dixa_erasures``, which runs; then it runs again (must change nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import ExecuteInProcessResult

from dixa_assets.definitions import build_definitions
from dixa_assets.erasure.personal import RAW_PERSONAL, TABLE_PERSONAL
from dixa_assets.settings import Settings
from dixa_assets.simulator.anonymization import ErasureTruth
from dixa_assets_tests.conftest import day_ms, run_assets
from dixa_assets_tests.erasure.support import (
    ERASURES,
    LAST,
    START,
    duckdb_values,
    erasure_world,
    files_containing,
    follow,
    lake_files,
    land,
    parquet_values,
    requested,
    stored_files,
)

HOUR_MS = 3_600_000


@dataclass
class Scenario:
    settings: Settings
    truth: ErasureTruth
    first_rounds: list
    wanted: dict
    before: dict
    values_before: tuple[set[str], set[str]]
    database_bytes_before: bytes
    erasure: ExecuteInProcessResult
    after: dict
    again: ExecuteInProcessResult
    files_after_first: dict[str, bytes]
    files_after_second: dict[str, bytes]
    rebuilt: dict
    metrics_before: list
    metrics_after: list


def snapshot(settings: Settings) -> dict:
    lake = {
        (path.parent.name, path.stem): pq.read_table(path).to_pylist()
        for path in lake_files(settings)
    }
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        tables = {}
        for table, order in (("dixa.conversations", "id"), ("dixa.conversation_messages", "id")):
            result = con.execute(f"SELECT * FROM {table} ORDER BY {order}")
            names = [c[0] for c in result.description]
            tables[table] = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    return {"lake": lake, "tables": tables}


def metrics(settings: Settings) -> list:
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        return con.execute("SELECT * FROM dixa.daily_support_metrics ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    with erasure_world(tmp_path_factory, "erasure") as (org, _, instance, settings):
        _, cursor = requested(settings, instance)  # the daemon was already running
        land(settings, instance, START, "2025-03-06")
        first_rounds, cursor = follow(settings, instance, cursor)

        stored = org.conversations_created(day_ms("2025-03-02")[0], day_ms("2025-03-05")[0])
        users = sorted(
            {c["requester_id"] for c in stored if c.get("requester_email") and c.get("subject")}
        )[:3]
        for user in users:
            org.anonymizations.add(user, day_ms(LAST)[0] + 6 * HOUR_MS)
        org.set_now(day_ms("2025-03-08")[0])
        land(settings, instance, "2025-03-05", LAST)
        assert run_assets(settings, ["conversations"], None, instance=instance).success
        daily = ["conversation_messages", "daily_support_metrics"]
        assert run_assets(settings, daily, START, LAST, instance=instance).success
        before = snapshot(settings)
        values_before = (parquet_values(settings), duckdb_values(settings))
        database_bytes_before = Path(settings.duckdb_path).read_bytes()
        metrics_before = metrics(settings)
        truth = org.anonymizations.truth(day_ms(START)[0], day_ms(LAST)[1] - 1)

        wanted, cursor = requested(settings, instance, cursor)
        erasure = run_assets(settings, [ERASURES], None, instance=instance)
        files_after_first = {str(p): p.read_bytes() for p in stored_files(settings)}
        after = snapshot(settings)
        again = run_assets(settings, [ERASURES], None, instance=instance)
        files_after_second = {str(p): p.read_bytes() for p in stored_files(settings)}

        # The tables rebuilt from the erased lake equal the erased tables; metrics are equal.
        assert run_assets(settings, ["conversations"], None, instance=instance).success
        assert run_assets(settings, daily, START, LAST, instance=instance).success
        rebuilt = snapshot(settings)
        metrics_after = metrics(settings)
    return Scenario(
        settings, truth, first_rounds, wanted, before, values_before, database_bytes_before,
        erasure, after, again, files_after_first, files_after_second, rebuilt, metrics_before,
        metrics_after,
    )  # fmt: skip


def materialization(run: ExecuteInProcessResult) -> dict:
    [event] = run.asset_materializations_for_node(ERASURES)
    return {key: value.value for key, value in event.metadata.items()}


def test_automation_runs_the_erasure_after_raw_conversation_days_land(scenario):
    assert any(ERASURES in round_ for round_ in scenario.first_rounds)
    assert ERASURES in scenario.wanted


def test_no_personal_string_is_left_in_values_or_bytes(scenario):
    strings = scenario.truth.strings
    assert len(scenario.truth.conversation_ids) >= 3 and len(strings) > 10
    in_parquet, in_duckdb = scenario.values_before
    # The test can fail: the strings were there before, decoded and in the database's bytes.
    assert strings & in_parquet and strings & in_duckdb
    assert any(s.encode() in scenario.database_bytes_before for s in strings)

    assert not strings & parquet_values(scenario.settings)
    assert not strings & duckdb_values(scenario.settings)
    # Every file's bytes as the erasure left them (later writes may overwrite freed blocks).
    left = {
        path: [s for s in strings if s.encode() in data]
        for path, data in scenario.files_after_first.items()
    }
    assert {path: found for path, found in left.items() if found} == {}
    assert files_containing(stored_files(scenario.settings), strings) == {}
    assert not Path(f"{scenario.settings.duckdb_path}.wal").exists()


def test_ids_of_anonymized_conversations_and_messages_are_all_still_there(scenario):
    lake = scenario.after["lake"]
    conversation_ids = {r["id"] for (asset, _), rows in lake.items() for r in rows
                        if asset == "dixa_conversations"}  # fmt: skip
    message_ids = {r["id"] for (asset, _), rows in lake.items() for r in rows
                   if asset == "dixa_messages"}  # fmt: skip
    assert scenario.truth.conversation_ids <= conversation_ids
    assert scenario.truth.message_ids <= message_ids
    tables = scenario.after["tables"]
    assert scenario.truth.conversation_ids <= {r["id"] for r in tables["dixa.conversations"]}
    assert scenario.truth.message_ids <= {r["id"] for r in tables["dixa.conversation_messages"]}


def _anonymized(snapshot: dict) -> set[int]:
    return {r["id"] for r in snapshot["tables"]["dixa.conversations"] if r["anonymized_at"]}


def test_every_other_value_is_unchanged(scenario):
    anonymized = _anonymized(scenario.after)
    before, after = scenario.before, scenario.after
    assert before["lake"].keys() == after["lake"].keys()
    changed_rows = 0
    for (asset, day), rows in before["lake"].items():
        personal = RAW_PERSONAL[asset]
        for old, new in zip(rows, after["lake"][(asset, day)], strict=True):
            if old[personal.conversation_key] not in anonymized:
                assert old == new, (asset, day, old["id"])
            else:
                kept = {k: v for k, v in old.items() if k not in personal.columns}
                if old.get("direction") == "outbound" and asset == "dixa_messages":
                    kept.update(author_name=old["author_name"], author_email=old["author_email"])
                assert kept == {k: new[k] for k in kept}, (asset, day, old["id"])
                changed_rows += old != new
    assert changed_rows > 0
    for table, rows in before["tables"].items():
        personal = TABLE_PERSONAL[table.removeprefix("dixa.")]  # registered by name in the schema
        for old, new in zip(rows, after["tables"][table], strict=True):
            if old[personal.conversation_key] not in anonymized:
                assert old == new, (table, old["id"])
            else:
                assert {k: v for k, v in old.items() if k not in personal.columns} == {
                    k: v for k, v in new.items() if k not in personal.columns
                }, (table, old["id"])


def test_metrics_are_equal_and_tables_rebuilt_from_the_erased_lake_equal_the_erased_tables(
    scenario,
):
    assert scenario.metrics_after == scenario.metrics_before
    assert scenario.rebuilt["tables"] == scenario.after["tables"]


def test_audit_and_metadata_tell_the_same_figures_without_personal_data(scenario):
    meta = materialization(scenario.erasure)
    assert meta["conversations_erased"] >= len(scenario.truth.conversation_ids)
    assert meta["database_file_rewritten"] is True
    assert meta["rows_changed"]["dixa_messages"] > 0
    with duckdb.connect(scenario.settings.duckdb_path, read_only=True) as con:
        rows = con.execute(
            "SELECT conversation_id, raw_files_rewritten, rows_changed FROM dixa.erasures "
            "WHERE run_id = $r ORDER BY conversation_id",
            {"r": scenario.erasure.run_id},
        ).fetchall()
    assert [r[0] for r in rows] == sorted(a["conversation_id"] for a in meta["audit"])
    assert scenario.truth.conversation_ids <= {r[0] for r in rows}
    audit = {a["conversation_id"]: a for a in meta["audit"]}
    for conversation, files, changed in rows:
        assert files == audit[conversation]["raw_files_rewritten"]
        assert dict(changed) == audit[conversation]["rows_changed"]
    totals: dict[str, int] = {}
    for a in meta["audit"]:
        for target, n in a["rows_changed"].items():
            totals[target] = totals.get(target, 0) + n
    assert totals == {k: v for k, v in meta["rows_changed"].items() if v}


def test_the_blocking_check_passes_and_a_second_run_changes_nothing(scenario):
    [check] = scenario.erasure.get_asset_check_evaluations()
    assert check.passed
    erasures = build_definitions(scenario.settings).resolve_assets_def(ERASURES)
    assert [spec.blocking for spec in erasures.check_specs] == [True]
    meta = materialization(scenario.again)
    assert meta["conversations_erased"] == 0
    assert meta["raw_files_rewritten"] == 0 and meta["database_file_rewritten"] is False
    assert set(meta["rows_changed"].values()) == {0}
    lake_before = {k: v for k, v in scenario.files_after_first.items() if k.endswith(".parquet")}
    lake_after = {k: v for k, v in scenario.files_after_second.items() if k.endswith(".parquet")}
    assert lake_before == lake_after
