"""An anonymized conversation's activity entries lose their personal data in the lake and in
dixa.conversation_events; every other entry and every id stays."""

from __future__ import annotations

from typing import Any

import duckdb

from dixa_assets.arrow.activity_schema import PERSONAL_COLUMNS
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import make_settings, run_assets

FIRST, LAST = "2025-03-03", "2025-03-08"


def activity_rows(lake: ParquetLake) -> dict[str, dict[str, Any]]:
    days = lake.partitions("dixa_activity_log")
    return {row["id"]: row for row in lake.read("dixa_activity_log", days).to_pylist()}


def anonymized_ids(lake: ParquetLake) -> set[int]:
    days = lake.partitions("dixa_conversations")
    table = lake.read("dixa_conversations", days).sort_by([("updated_at", "ascending")])
    newest = {
        r["id"]: r["anonymized_at"] for r in table.select(["id", "anonymized_at"]).to_pylist()
    }
    return {csid for csid, at in newest.items() if at is not None}


def test_erasure_reaches_the_activity_log(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    lake = ParquetLake(settings.data_dir)
    run_assets(settings, ["dixa_conversations", "dixa_activity_log"], FIRST, LAST)
    run_assets(settings, ["conversations", "conversation_events"], None)
    before = activity_rows(lake)
    gone = anonymized_ids(lake)
    personal_before = [
        r for r in before.values() if r["conversation_id"] in gone and r["author_name"]
    ]
    assert personal_before  # the scenario has something to erase
    result = run_assets(settings, ["dixa_erasures"], None)
    assert all(e.passed for e in result.get_asset_check_evaluations())
    after = activity_rows(lake)
    assert after.keys() == before.keys()
    for entry_id, row in after.items():
        if row["conversation_id"] in gone:
            assert all(row[c] is None for c in PERSONAL_COLUMNS), entry_id
            kept = {k: v for k, v in row.items() if k not in PERSONAL_COLUMNS}
            assert kept == {k: v for k, v in before[entry_id].items() if k not in PERSONAL_COLUMNS}
        else:
            assert row == before[entry_id]
    columns = ", ".join(PERSONAL_COLUMNS)
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        left = con.execute(
            f"SELECT count(*) FROM dixa.conversation_events WHERE conversation_id IN "
            f"(SELECT unnest($ids)) AND coalesce({columns}) IS NOT NULL",
            {"ids": sorted(gone)},
        ).fetchall()[0][0]
    assert left == 0
