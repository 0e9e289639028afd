"""`dixa_activity_log` through real Dagster runs, compared day by day with the simulator's truth."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
import pyarrow.parquet as pq
from dagster import AssetKey, DagsterInstance

from dixa_assets.definitions import DAILY_JOB, build_definitions
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets_tests.conftest import TOKEN, day_ms, make_settings, run_assets

ASSET = "dixa_activity_log"
WEEK = [f"2025-03-{d:02d}" for d in range(3, 10)]


def stored(settings: Any, day: str) -> Any:
    return pq.read_table(ParquetLake(settings.data_dir).path(ASSET, day))


def assert_days_equal_truth(sim: SimulatorServer, settings: Any, days: list[str], tz: str) -> int:
    total = 0
    for day in days:
        table = stored(settings, day)
        truth = sim.main_api.truth_activity(*day_ms(day, tz))
        assert table.column("id").to_pylist() == [t.id for t in truth], day
        assert table.column("activity_timestamp").to_pylist() == [t.at for t in truth], day
        total += len(truth)
    return total


def test_a_week_in_one_run_lands_each_entry_once_typed(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    main_sim.main_api.options.requests_per_second = 10.0
    result = run_assets(settings, [ASSET], WEEK[0], WEEK[-1])
    assert assert_days_equal_truth(main_sim, settings, WEEK, "UTC") > 500
    table = stored(settings, WEEK[2])
    rows = table.to_pylist()
    truth = {t.id: t for t in main_sim.main_api.truth_activity(*day_ms(WEEK[2]))}
    for row in rows:
        entry = truth[row["id"]]
        assert row["conversation_id"] == entry.csid and row["type"] == entry.type
        assert row["author_id"] == (entry.author or {}).get("id")
        if entry.type == "ConversationAssigned":
            assert row["attr_agent_id"] == entry.attributes["agentId"]
        if entry.type == "NoteAdded":
            assert row["attr_message"] == entry.attributes["message"]
        if entry.type == "TransferSuccessful":
            assert row["attr_destination_id"] == entry.attributes["destinationId"]
        assert row["extra_attributes"] is None and row["known_type"]
    metadata = result.asset_materializations_for_node(ASSET)[0].metadata
    assert metadata["run_requests"].value == 1 + metadata["run_rows"].value // 1000
    assert [c.passed for c in result.get_asset_check_evaluations()] == [True]
    daily_job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    assert AssetKey(ASSET) in daily_job.asset_layer.executable_asset_keys


def test_drifted_types_and_attributes_are_kept_and_reported(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    main_sim.main_api.options.drift = True
    main_sim.main_api.options.timestamp_suffix = "Z[GMT]"
    result = run_assets(settings, [ASSET], WEEK[0])
    assert_days_equal_truth(main_sim, settings, WEEK[:1], "UTC")
    rows = stored(settings, WEEK[0]).to_pylist()
    drifted = [r for r in rows if not r["known_type"]]
    assert drifted and {r["type"] for r in drifted} == {"ConversationSummaryGenerated"}
    assert orjson.loads(drifted[0]["extra_attributes"]) == {
        "model": "summary-v2",
        "summaryLength": 42,
    }
    reasons = [
        r for r in rows if r["extra_attributes"] and "assignmentReason" in r["extra_attributes"]
    ]
    assert reasons and all(r["attr_agent_id"] for r in reasons)
    drift = result.asset_materializations_for_node(ASSET)[0].metadata["run_drift"].value
    assert drift["unknown_types"] == {"ConversationSummaryGenerated": len(drifted)}
    assert drift["unknown_attributes"]["ConversationAssigned.assignmentReason"] == len(reasons)
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "schema_drift" and not check.passed


def test_a_dst_week_in_copenhagen(tmp_path: Any, token_env: None) -> None:
    now = int(datetime(2025, 4, 12, tzinfo=UTC).timestamp() * 1000)
    org = Organisation(
        seed=5, conversations_per_day=12, history_start=date(2025, 3, 20), now_ms=now
    )
    with SimulatorServer(org, token=TOKEN) as server:
        server.main_api.options.to_inclusive = False
        settings = make_settings(tmp_path, server, timezone="Europe/Copenhagen")
        days = [f"2025-03-{d}" for d in range(27, 32)] + ["2025-04-01"]
        run_assets(settings, [ASSET], days[0], days[-1])
        assert assert_days_equal_truth(server, settings, days, "Europe/Copenhagen") > 100
        start, end = day_ms("2025-03-30", "Europe/Copenhagen")
        assert end - start == 23 * 3_600_000


def test_today_holds_the_day_so_far(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    today = "2025-03-20"  # the simulator's clock: 12:00 UTC that day
    result = run_assets(settings, [ASSET], today)
    start, end = day_ms(today)
    now = main_sim.organisation.now_ms
    truth = main_sim.main_api.truth_activity(start, end)
    assert truth and max(t.at for t in truth) <= now
    assert stored(settings, today).column("id").to_pylist() == [t.id for t in truth]
    metadata = result.asset_materializations_for_node(ASSET)[0].metadata
    assert metadata["fetched_until"].value * 1000 == now // 1000 * 1000
    assert metadata["complete"].value is False


def test_the_token_never_lands_in_logs_or_files(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    main_sim.main_api.options.scripted_statuses = [500]
    home = tmp_path / "dagster_home"
    home.mkdir()
    selection = [ASSET, "dixa_agents", "dixa_teams"]
    with DagsterInstance.local_temp(str(home)) as instance:
        ok = run_assets(settings, [ASSET], WEEK[0], instance=instance)
        dims = run_assets(settings, selection[1:], None, instance=instance)
        bad = run_assets(
            settings, [ASSET], WEEK[1], instance=instance, raise_on_error=False, token="x" + TOKEN
        )
        assert ok.success and dims.success and not bad.success
        for run in (ok, dims, bad):
            for entry in instance.all_logs(run.run_id):
                assert TOKEN not in str(entry), entry
    for root in (home, tmp_path / "data"):
        for path in root.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path
