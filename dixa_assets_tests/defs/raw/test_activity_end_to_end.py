"""Raw activity log, dimensions and conversations from the simulator through the modelled tables,
compared with the simulator's ground truth."""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dixa_assets.arrow.activity_types import CREATION_TYPES
from dixa_assets.ingest.dimensions import DIMENSIONS
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import day_ms, make_settings, run_assets

FIRST, LAST = "2025-03-03", "2025-03-06"
MODELLED = ["conversations", "conversation_events", "conversation_handling"]


def checks(result: Any) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_figures_match_the_truth_and_checks_hold(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    api = main_sim.main_api
    run_assets(settings, ["dixa_conversations", "dixa_activity_log"], FIRST, LAST)
    run_assets(settings, [d.name for d in DIMENSIONS], None)
    result = run_assets(settings, MODELLED, None)
    assert checks(result) == {
        "one_row_per_id": True,
        "activity_ids_unique": True,
        "creation_event_for_every_conversation": True,
        "agents_known": True,
    }
    metrics = run_assets(settings, ["daily_team_metrics"], FIRST, LAST)
    assert checks(metrics) == {"conversations_add_up": True}

    truth = api.truth_activity(day_ms(FIRST)[0], day_ms(LAST)[1])
    transfers = Counter(e.csid for e in truth if e.type == "TransferSuccessful")
    reopens = Counter(e.csid for e in truth if e.type == "ConversationReopened")
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        rows = con.execute(
            "SELECT conversation_id, transfers, reopens, handling_agent_id, team_id "
            "FROM dixa.conversation_handling"
        ).fetchall()
        created = con.execute(
            "SELECT sum(conversations_created), sum(new_contacts), sum(transfers), sum(reopens) "
            "FROM dixa.daily_team_metrics"
        ).fetchall()[0]
        cohort = con.execute(
            "SELECT id, link_type FROM dixa.conversations "
            "WHERE created_at_ts::date BETWEEN $f AND $l",
            {"f": FIRST, "l": LAST},
        ).fetchall()
    assert len(rows) == len({e.csid for e in truth})
    for csid, n_transfers, n_reopens, agent, team in rows:
        assert (n_transfers, n_reopens) == (transfers[csid], reopens[csid]), csid
        if agent is not None:
            assert team == api.directory.team_of(agent)
    assert sum(reopens.values()) > 0 and sum(transfers.values()) > 0
    children = sum(1 for _, link in cohort if link in ("side", "email_forward"))
    assert created[0] == len(cohort) and created[1] == len(cohort) - children


def test_an_agent_missing_from_the_snapshot_is_a_warning(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    run_assets(settings, ["dixa_conversations", "dixa_activity_log"], FIRST)
    api = main_sim.main_api
    day = main_sim.organisation.conversations(*day_ms(FIRST))
    gone = next(r["assignee_id"] for r in day if r.get("assignee_id"))
    api.directory.delete_agent(gone)
    run_assets(settings, ["dixa_agents"], None)
    result = run_assets(settings, MODELLED, None)
    evaluation = next(
        e for e in result.get_asset_check_evaluations() if e.check_name == "agents_known"
    )
    assert not evaluation.passed and evaluation.severity.value == "WARN"
    assert gone in evaluation.metadata["ids"].value


def test_a_conversation_without_creation_entry_fails_its_check(
    main_sim: Any, tmp_path: Any
) -> None:
    settings = make_settings(tmp_path, main_sim)
    run_assets(settings, ["dixa_conversations", "dixa_activity_log"], FIRST)
    lake = ParquetLake(settings.data_dir)
    table = lake.read("dixa_activity_log", [FIRST])
    creations = pc.is_in(table.column("type"), pa.array(sorted(CREATION_TYPES)))
    stored = set(lake.read("dixa_conversations", [FIRST]).column("id").to_pylist())
    created = table.filter(creations).column("conversation_id").to_pylist()
    victim = next(csid for csid in created if csid in stored)
    keep = pc.invert(pc.and_(creations, pc.equal(table.column("conversation_id"), victim)))
    lake.write("dixa_activity_log", FIRST, table.filter(keep))
    result = run_assets(settings, MODELLED, None)
    evaluation = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "creation_event_for_every_conversation"
    )
    assert not evaluation.passed and evaluation.metadata["ids"].value == [victim]
