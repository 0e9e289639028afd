"""Faults injected through the simulator; results compared with its ground truth.

Every run either lands exactly the source's records or fails loudly, leaving what was stored
before intact. The figures are printed at the end of the session (see reliability_report).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance

from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests import reliability_report
from dixa_assets_tests.conftest import day_ms, make_settings, run_assets

RAW = ("dixa_conversations", "dixa_messages")
TRANSIENT = ("429", "500", "502", "503", "504", "drop", "drop_mid_body", "truncate", "slow")
FIGURES = reliability_report.FIGURES


def truth_ids(organisation, asset: str, day: str) -> list:
    return truth_ids_between(organisation, asset, *day_ms(day))


def truth_ids_between(organisation, asset: str, start: int, end: int) -> list:
    if asset == "dixa_conversations":
        return [r["id"] for r in organisation.conversations(start, end, field="updated_at")]
    return [r["id"] for r in organisation.messages(start, end)]


def stored_ids(settings, asset: str, day: str) -> list | None:
    path = Path(settings.data_dir) / asset / f"{day}.parquet"
    return pq.read_table(path, columns=["id"]).column("id").to_pylist() if path.exists() else None


def check_days(settings, organisation, days: list[str]) -> None:
    """Compare stored days with the ground truth, and count what was lost or duplicated."""
    for day in days:
        for asset in RAW:
            expected = truth_ids(organisation, asset, day)
            stored = stored_ids(settings, asset, day)
            assert stored is not None, f"{asset} {day} was not stored"
            FIGURES["partitions checked"] += 1
            FIGURES["records expected"] += len(expected)
            FIGURES["records lost"] += len(set(expected) - set(stored))
            FIGURES["records duplicated"] += len(stored) - len(set(stored))
            assert sorted(stored) == sorted(expected), f"{asset} {day}"


def record_run(result) -> None:
    FIGURES["runs"] += 1
    FIGURES["runs succeeded" if result.success else "runs failed loudly"] += 1


@pytest.mark.parametrize(
    ("seed", "retry_after_format"), [(11, "seconds"), (12, "http-date"), (13, "absent")]
)
def test_seeded_random_faults_lose_and_duplicate_nothing(
    tmp_path, simulator, token_env, seed, retry_after_format
):
    settings = make_settings(tmp_path, simulator)
    before = sum(simulator.faults.injected.values())
    simulator.faults.set_random(
        rate=0.3,
        seed=seed,
        kinds=TRANSIENT,
        retry_after=1,
        retry_after_format=retry_after_format,
        seconds=1.5,
    )
    days = [f"2025-02-{d:02d}" for d in range(1, 9)]
    options = {"timeout_seconds": 0.75, "max_attempts": 10}
    results = [run_assets(settings, RAW, day, raise_on_error=False, **options) for day in days[:4]]
    results.append(run_assets(settings, RAW, days[4], days[-1], raise_on_error=False, **options))
    simulator.faults.clear()
    FIGURES["faults injected"] += sum(simulator.faults.injected.values()) - before
    for result in results:
        record_run(result)
        assert result.success, "with 10 attempts a run survives a 30% fault rate"
    check_days(settings, simulator.organisation, days)


def test_a_run_that_cannot_succeed_fails_loudly_and_keeps_the_earlier_day(settings, simulator):
    day = "2025-03-06"
    run_assets(settings, ["dixa_messages"], day)
    before = stored_ids(settings, "dixa_messages", day)
    simulator.faults.inject("object_200", count=1)
    result = run_assets(settings, ["dixa_messages"], day, raise_on_error=False)
    record_run(result)
    FIGURES["faults injected"] += 1
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "not an array" in failure.step_failure_data.error.message
    assert stored_ids(settings, "dixa_messages", day) == before


def test_records_outside_the_window_are_dropped_counted_and_logged(settings, simulator):
    day, org = "2025-03-05", simulator.organisation
    simulator.faults.inject("outside_window", count=2)  # each: 2 on the padded edges, 2 beyond
    instance = DagsterInstance.ephemeral()
    try:
        result = run_assets(settings, RAW, day, instance=instance)
        logs = [(entry.level, entry.user_message) for entry in instance.all_logs(result.run_id)]
    finally:
        instance.dispose()
    FIGURES["faults injected"] += 2
    record_run(result)
    check_days(settings, org, [day])
    start, end = day_ms(day)
    for asset in RAW:
        # The simulator's bounds are inclusive: its own records on the padded edges come too.
        padded = truth_ids_between(org, asset, start - 1, end + 1)
        natural_edges = len(padded) - len(truth_ids(org, asset, day))
        (materialization,) = result.asset_materializations_for_node(asset)
        assert materialization.metadata["run_edge_records_dropped"].value == natural_edges + 2
        assert materialization.metadata["run_stray_records_dropped"].value == 2
    warnings = [m for level, m in logs if level == logging.WARNING and "outside the req" in m]
    assert len(warnings) == 2


def test_a_writer_killed_mid_write_leaves_the_previous_partition_readable(tmp_path):
    """Any table will do: ``events`` has no declared schema for the write path to enforce."""
    lake = ParquetLake(tmp_path)
    lake.write("events", "2025-03-01", pa.table({"id": ["kept"]}))
    writer = (
        "import pyarrow as pa, sys\n"
        "from dixa_assets.lake.parquet import ParquetLake\n"
        "big = pa.table({'id': [str(i) * 20 for i in range(2_000_000)]})\n"
        "print('ready', flush=True)\n"
        "ParquetLake(sys.argv[1]).write('events', '2025-03-01', big)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", writer, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "ready"
    folder = tmp_path / "events"
    deadline = time.monotonic() + 30
    while not list(folder.glob(".*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.001)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert list(folder.glob(".*.tmp")), "the writer was killed while its temp file was open"
    assert lake.read("events", ["2025-03-01"]).column("id").to_pylist() == ["kept"]
    assert lake.partitions("events") == ["2025-03-01"]
    glob = str(folder / "*.parquet")
    assert duckdb.execute("select id from read_parquet(?)", [glob]).fetchall() == [("kept",)]
    lake.write("events", "2025-03-01", pa.table({"id": ["new"]}))
    assert lake.read("events", ["2025-03-01"]).column("id").to_pylist() == ["new"]


def test_concurrent_runs_of_different_and_same_partitions_all_succeed(settings, simulator):
    days = ["2025-03-07", "2025-03-08", "2025-03-07", "2025-03-08"]
    with ThreadPoolExecutor(len(days)) as pool:
        results = list(pool.map(lambda day: run_assets(settings, RAW, day), days))
    for result in results:
        record_run(result)
        assert result.success
    check_days(settings, simulator.organisation, sorted(set(days)))
    for asset in RAW:
        names = sorted(p.name for p in (Path(settings.data_dir) / asset).iterdir())
        assert names == ["2025-03-07.parquet", "2025-03-08.parquet"]


def hostile_messages(organisation, day: str) -> tuple[list[dict], list[dict]]:
    """The day's real messages, and a copy made hostile in ways the field notes warn of."""
    start, end = day_ms(day)
    real = [dict(m) for m in organisation.messages(start, end)[:6]]
    odd = [dict(m) for m in real]
    odd[0]["csid"] = str(odd[0]["csid"])  # a string id
    odd[1]["created_at"] = float(odd[1]["created_at"])  # a float timestamp
    odd[2]["to"] = ["a@example.com", None]  # a null inside a list
    odd[3]["text"] = "x" * 2_000_000 + '\u0000\u001f\u2028 😊 "quoted" \\'  # huge, odd chars
    odd[4]["form_submission"] = {"nested": {"deeper": [1, {"k": None}]}}  # unknown shape
    odd[5]["attachment_count"] = 3  # a field no reference lists
    odd.append(dict(odd[1]))  # the same message twice in one response
    return real, odd


def test_hostile_but_lossless_input_is_stored_exactly(settings, simulator):
    day = "2025-03-09"
    real, odd = hostile_messages(simulator.organisation, day)
    simulator.faults.inject("payload_200", count=1, endpoint="message_export", payload=odd)
    result = run_assets(settings, ["dixa_messages"], day)
    FIGURES["faults injected"] += 1
    record_run(result)
    (materialization,) = result.asset_materializations_for_node("dixa_messages")
    assert materialization.metadata["run_duplicate_records_dropped"].value == 1
    rows = {
        row["id"]: row
        for row in pq.read_table(
            Path(settings.data_dir) / "dixa_messages" / f"{day}.parquet"
        ).to_pylist()
    }
    assert len(rows) == len(real)
    assert rows[real[0]["id"]]["csid"] == real[0]["csid"]
    assert rows[real[1]["id"]]["created_at"] == real[1]["created_at"]
    assert rows[real[2]["id"]]["to"] == ["a@example.com", None]
    assert rows[real[3]["id"]]["text"] == odd[3]["text"]
    assert rows[real[4]["id"]]["form_submission"] == '{"nested":{"deeper":[1,{"k":null}]}}'
    assert rows[real[5]["id"]]["extra_fields"] == '{"attachment_count":3}'


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda m: m.pop("csid"), "'csid'"),
        (lambda m: m.update(csid="twelve"), "'csid'"),
        (lambda m: m.update(is_automated_message="yes"), "'is_automated_message'"),
        (lambda m: m.update(cc="one@example.com"), "'cc'"),
    ],
)
def test_input_that_cannot_be_stored_fails_naming_field_and_partition(
    settings, simulator, change, named
):
    day = "2025-03-09"
    _, odd = hostile_messages(simulator.organisation, day)
    change(odd[0])
    simulator.faults.inject("payload_200", count=1, endpoint="message_export", payload=odd)
    result = run_assets(settings, ["dixa_messages"], day, raise_on_error=False)
    FIGURES["faults injected"] += 1
    record_run(result)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert named in message and f"dixa_messages partition {day}" in message
    assert str(odd[0]["id"]) in message
    exports = [e for e in simulator.request_log if e.endpoint.startswith("/v1/")]
    assert len(exports) == 1, "a malformed record is not retried"
