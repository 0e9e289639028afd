"""End to end: real Dagster runs of the raw assets against the simulator over HTTP.

Every check compares what landed in the lake with the simulator's ground truth, never with our own
code's output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance

from dixa_assets.arrow.schemas import CONVERSATIONS, MESSAGES
from dixa_assets.settings import Settings
from dixa_assets.simulator import SimulatorServer
from dixa_assets_tests.conftest import (
    NOW_MS,
    PACE_UNDER_IT,
    REAL_LIMIT_SPED_UP,
    TOKEN,
    day_ms,
    make_settings,
    run_assets,
)

RAW = ("dixa_conversations", "dixa_messages")


def stored(settings, asset: str, day: str) -> list[dict]:
    return pq.read_table(Path(settings.data_dir) / asset / f"{day}.parquet").to_pylist()


def truth(organisation, asset: str, day: str, timezone: str = "UTC") -> list[dict]:
    start, end = day_ms(day, timezone)
    if asset == "dixa_conversations":
        return organisation.conversations(start, end, field="updated_at")
    return organisation.messages(start, end)


def assert_messages_equal_truth(settings, organisation, day: str) -> None:
    assert_day_equals_truth(settings, organisation, day, assets=("dixa_messages",))


def assert_day_equals_truth(
    settings, organisation, day: str, timezone: str = "UTC", assets=RAW
) -> None:
    for asset in assets:
        rows = stored(settings, asset, day)
        expected = truth(organisation, asset, day, timezone)
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), f"duplicate ids in {asset} {day}"
        assert sorted(ids) == sorted(r["id"] for r in expected), f"{asset} {day}"
        by_id = {r["id"]: r for r in expected}
        for row in rows:
            source = by_id[row["id"]]
            for key in ("created_at", "updated_at", "csid", "status", "text", "direction"):
                if key in row and source.get(key) is not None:
                    assert row[key] == source[key], (asset, row["id"], key)


def test_one_day_lands_exactly_the_ground_truth(settings, simulator):
    result = run_assets(settings, RAW, "2025-03-03")
    assert result.success
    assert_day_equals_truth(settings, simulator.organisation, "2025-03-03")
    assert stored(settings, "dixa_messages", "2025-03-03"), "a test day should not be empty"


def test_range_in_one_run_is_split_into_days_with_one_request_per_endpoint(settings, simulator):
    result = run_assets(settings, RAW, "2025-03-01", "2025-03-07")
    assert result.success
    days = [f"2025-03-0{d}" for d in range(1, 8)]
    for day in days:
        assert_day_equals_truth(settings, simulator.organisation, day)
    exports = [e for e in simulator.request_log if e.endpoint.startswith("/v1/")]
    assert len(exports) == 2, [e.endpoint for e in exports]
    counts = {
        mat.partition: mat.metadata["dagster/row_count"].value
        for mat in result.asset_materializations_for_node("dixa_messages")
    }
    assert counts == {d: len(stored(settings, "dixa_messages", d)) for d in days}


def test_a_range_longer_than_the_api_window_is_fetched_in_31_day_pieces(settings, simulator):
    first, last = "2025-01-05", "2025-03-15"  # 70 days: three requests per endpoint
    assert run_assets(settings, RAW, first, last).success
    exports = [e for e in simulator.request_log if e.endpoint.startswith("/v1/")]
    assert len(exports) == 6
    for day in ("2025-01-05", "2025-02-04", "2025-02-05", "2025-03-06", "2025-03-15"):
        assert_day_equals_truth(settings, simulator.organisation, day)
    stored_days = sorted(p.stem for p in (Path(settings.data_dir) / "dixa_messages").iterdir())
    assert len(stored_days) == 70


def test_records_on_the_exact_midnight_land_in_the_later_day(settings, simulator):
    run_assets(settings, RAW, "2025-03-04", "2025-03-05")
    midnight, _ = day_ms("2025-03-05")
    on_midnight = [m["id"] for m in simulator.organisation.messages(midnight, midnight + 1)]
    assert on_midnight, "the simulator puts a message on every UTC midnight"
    later = {row["id"] for row in stored(settings, "dixa_messages", "2025-03-05")}
    earlier = {row["id"] for row in stored(settings, "dixa_messages", "2025-03-04")}
    assert set(on_midnight) <= later and not set(on_midnight) & earlier


@pytest.mark.parametrize("bounds", ["inclusive", "exclusive", "half_open"])
def test_any_api_bound_semantics_gives_the_same_days(tmp_path, organisation, token_env, bounds):
    with SimulatorServer(organisation, token=TOKEN, bounds=bounds) as server:
        settings = make_settings(tmp_path, server)
        run_assets(settings, RAW, "2025-03-04", "2025-03-05")
    for day in ("2025-03-04", "2025-03-05"):
        assert_day_equals_truth(settings, organisation, day)


def test_partitions_follow_a_dst_changing_timezone(tmp_path, simulator, token_env):
    tz = "Europe/Copenhagen"
    simulator.organisation.set_now(int(datetime(2025, 4, 5, tzinfo=UTC).timestamp() * 1000))
    settings = make_settings(tmp_path, simulator, timezone=tz)
    run_assets(settings, RAW, "2025-03-29", "2025-03-31")
    start, end = day_ms("2025-03-30", tz)
    assert end - start == 23 * 3600 * 1000
    for day in ("2025-03-29", "2025-03-30", "2025-03-31"):
        assert_day_equals_truth(settings, simulator.organisation, day, tz)
    # The simulator also creates a conversation on each Copenhagen midnight.
    rows = stored(settings, "dixa_messages", "2025-03-30")
    assert all(start <= row["created_at"] < end for row in rows)


def test_rematerializing_replaces_the_day_and_keeps_versions_that_moved_on(settings, simulator):
    org = simulator.organisation
    day = "2025-03-19"  # a day before the clock whose conversations still change
    run_assets(settings, RAW, day)
    first = {row["id"]: row["updated_at"] for row in stored(settings, "dixa_conversations", day)}
    run_assets(settings, RAW, day)
    assert {r["id"]: r["updated_at"] for r in stored(settings, "dixa_conversations", day)} == first

    org.set_now(NOW_MS + 6 * 86_400_000)  # conversations of the 19th get their late updates
    result = run_assets(settings, RAW, day)
    start, end = day_ms(day)
    now = {r["id"]: r for r in org.conversations(start, end, field="updated_at")}
    rows = stored(settings, "dixa_conversations", day)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    # Every conversation the day holds now, in its current version...
    assert set(now) <= set(ids)
    for row in rows:
        if row["id"] in now:
            assert row["updated_at"] == now[row["id"]]["updated_at"]
    # ...and the version it held of each that was updated since (now in a later day), unchanged.
    moved = set(ids) - set(now)
    assert moved, "some conversations of the day were updated after its first fetch"
    assert moved <= set(first)
    for row in rows:
        if row["id"] in moved:
            assert row["updated_at"] == first[row["id"]]
            current = org.conversations_by_id([row["id"]])[0]
            assert current["updated_at"] >= end
    metadata = result.asset_materializations_for_node("dixa_conversations")[0].metadata
    assert metadata["versions_kept"].value == len(moved)
    assert metadata["complete"].value is True
    assert metadata["dagster/row_count"].value == len(rows)
    # Messages do not move: their day is replaced by its new answer.
    assert_messages_equal_truth(settings, org, day)
    files = sorted(p.name for p in (Path(settings.data_dir) / "dixa_conversations").iterdir())
    assert files == [f"{day}.parquet"]


def test_transient_faults_are_retried_and_survived(settings, simulator):
    faults = simulator.faults
    faults.inject("429", count=1, retry_after=1)
    faults.inject("503", count=1)
    faults.inject("drop", count=1)
    faults.inject("truncate", count=1)
    result = run_assets(settings, RAW, "2025-03-10")
    assert result.success
    assert_day_equals_truth(settings, simulator.organisation, "2025-03-10")
    retries = sum(
        mat.metadata["run_retries"].value
        for asset in RAW
        for mat in result.asset_materializations_for_node(asset)
    )
    assert retries == 4


def test_the_configured_pace_keeps_a_backfill_under_the_apis_limit(
    tmp_path, organisation, token_env, monkeypatch
):
    """DIXA_REQUESTS_PER_MINUTE reaches the client through the definitions' own resource."""
    first, last = "2025-02-01", "2025-03-04"  # 32 days: two requests, fetched two at a time
    with SimulatorServer(organisation, token=TOKEN, **REAL_LIMIT_SPED_UP) as server:
        monkeypatch.setenv("DIXA_API_BASE_URL", server.url)
        monkeypatch.setenv("DIXA_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("DIXA_START_DATE", "2025-01-01")
        monkeypatch.setenv("DIXA_TIMEZONE", "UTC")
        monkeypatch.setenv("DIXA_REQUESTS_PER_MINUTE", str(PACE_UNDER_IT))
        settings = Settings.from_env()
        assert run_assets(settings, ["dixa_messages"], first, last, configured_client=True).success
        assert [entry.status for entry in server.request_log] == [200, 200]
    folder = tmp_path / "data" / "dixa_messages"
    stored_ids = pq.read_table(folder, columns=["id"]).column("id").to_pylist()
    start, end = day_ms(first)[0], day_ms(last)[1]
    assert sorted(stored_ids) == sorted(m["id"] for m in organisation.messages(start, end))


def test_refused_token_fails_at_once_with_a_clear_message(settings, simulator):
    result = run_assets(
        settings, ["dixa_messages"], "2025-03-10", raise_on_error=False, token="nope"
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "refused the token" in message and "DIXA_API_TOKEN" in message
    assert [e.status for e in simulator.request_log if e.endpoint.startswith("/v1/")] == [401]
    assert not Path(settings.data_dir, "dixa_messages", "2025-03-10.parquet").exists()


def test_without_a_token_a_run_fails_at_once_naming_the_variable(settings, simulator, monkeypatch):
    run = partial(run_assets, settings, ["dixa_messages"], "2025-03-10", configured_client=True)
    monkeypatch.delenv("DIXA_API_TOKEN")
    for value in (None, ""):  # unset, then set but empty: the same one line, no request
        if value is not None:
            monkeypatch.setenv("DIXA_API_TOKEN", value)
        result = run(raise_on_error=False)
        assert not result.success and simulator.request_log == []
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert "DIXA_API_TOKEN is not set" in failure.step_failure_data.error.message


def test_an_empty_day_is_a_valid_partition_with_the_full_schema(settings, simulator):
    run_assets(settings, RAW, "2025-03-25")  # after the simulator's clock: nothing yet
    for asset, spec in zip(RAW, (CONVERSATIONS, MESSAGES), strict=True):
        table = pq.read_table(Path(settings.data_dir) / asset / "2025-03-25.parquet")
        assert table.num_rows == 0
        assert table.schema.names == spec.arrow_schema.names


def test_fields_the_reference_does_not_list_are_preserved(settings, simulator):
    days = [f"2025-02-{d:02d}" for d in range(1, 15)]
    run_assets(settings, ["dixa_conversations"], days[0], days[-1])
    known = CONVERSATIONS.known_names
    checked = 0
    for day in days:
        source = {r["id"]: r for r in truth(simulator.organisation, "dixa_conversations", day)}
        for row in stored(settings, "dixa_conversations", day):
            unknown = {k: v for k, v in source[row["id"]].items() if k not in known}
            assert (orjson.loads(row["extra_fields"]) if row["extra_fields"] else {}) == unknown
            checked += bool(unknown)
    assert checked, "the simulator adds unknown fields to some conversations"


def test_the_token_never_lands_in_logs_metadata_files_or_the_instance(
    tmp_path, settings, simulator
):
    simulator.faults.inject("500", count=1)
    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as instance:
        ok = run_assets(settings, RAW, "2025-03-11", instance=instance)
        bad = run_assets(
            settings, RAW, "2025-03-12", instance=instance, raise_on_error=False, token="x" + TOKEN
        )
        assert ok.success and not bad.success
        for run in (ok, bad):
            for entry in instance.all_logs(run.run_id):
                assert TOKEN not in str(entry), entry
    for root in (home, Path(settings.data_dir)):
        for path in root.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path
