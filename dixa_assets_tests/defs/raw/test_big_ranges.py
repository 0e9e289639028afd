"""Big organisations and bad days, in real runs against the simulator: windows too big for the
API's gateway are halved, and a range that fails or is killed part-way keeps its complete days,
so the re-run fetches only what is left. Every check is against the simulator's ground truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from dagster import AssetKey, DagsterInstance

from dixa_assets.simulator import Gateway
from dixa_assets_tests.conftest import day_ms, run_assets

MESSAGES = AssetKey("dixa_messages")
FIRST, LAST = "2025-01-05", "2025-03-15"  # 70 days: three requests of 23 1/3 days
ROOT = Path(__file__).resolve().parent.parent.parent.parent


def days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [str(start + timedelta(n)) for n in range((end - start).days + 1)]


def assert_messages_exact(settings, organisation, keys: list[str]) -> int:
    total = 0
    for key in keys:
        path = Path(settings.data_dir) / "dixa_messages" / f"{key}.parquet"
        ids = pq.read_table(path, columns=["id"]).column("id").to_pylist()
        truth = [m["id"] for m in organisation.messages(*day_ms(key))]
        assert sorted(ids) == sorted(truth), key  # each exactly once
        total += len(ids)
    return total


def stored_days(settings) -> list[str]:
    folder = Path(settings.data_dir) / "dixa_messages"
    return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []


def requested_windows(simulator) -> list[tuple[int, int]]:
    """The message windows asked for, in time order (two in flight arrive in either order)."""
    return sorted(
        (int(e.params["created_after"]) + 1, int(e.params["created_before"]))
        for e in simulator.request_log
        if e.endpoint == "/v1/message_export" and e.fault != "slow"  # a killed run's, late
    )


def test_windows_too_big_for_the_gateway_are_halved_and_land_exactly(settings, simulator):
    simulator.gateway = Gateway(max_records=400)  # about 5 days of this organisation's messages
    try:
        result = run_assets(settings, ["dixa_messages"], FIRST, LAST, max_concurrent_requests=1)
    finally:
        simulator.gateway = None
    assert result.success
    assert assert_messages_exact(settings, simulator.organisation, days(FIRST, LAST)) > 400 * 3
    log = simulator.request_log
    refused = [e for e in log if e.fault == "gateway"]
    splits = result.asset_materializations_for_node("dixa_messages")[-1].metadata
    assert splits["run_window_splits"].value * 2 == len(refused) > 0
    # The size that worked is kept: only the first window had to be halved.
    first_piece_end = day_ms(FIRST)[0] + (day_ms(LAST)[1] - day_ms(FIRST)[0]) // 3
    assert all(int(e.params["created_before"]) <= first_piece_end for e in refused)


def test_a_range_failing_at_its_third_window_keeps_two_and_resumes(settings, simulator):
    faults = simulator.faults
    faults.inject("slow", count=2, seconds=0)  # the first two windows answer normally
    faults.inject("400", count=1)  # the third is rejected: the run fails for good
    with DagsterInstance.ephemeral() as instance:
        failed = run_assets(
            settings,
            ["dixa_messages"],
            FIRST,
            LAST,
            instance=instance,
            raise_on_error=False,
            max_concurrent_requests=1,
        )
        assert not failed.success
        kept = sorted(instance.get_materialized_partitions(MESSAGES))
        # Two windows of 23 1/3 days hold 46 complete days; the 47th was cut by the third.
        assert kept == days(FIRST, LAST)[:46] == stored_days(settings)
        assert_messages_exact(settings, simulator.organisation, kept)

        simulator.reset_log()
        missing = [d for d in days(FIRST, LAST) if d not in kept]
        assert run_assets(
            settings, ["dixa_messages"], missing[0], missing[-1], instance=instance
        ).success
        assert requested_windows(simulator) == [(day_ms(missing[0])[0], day_ms(LAST)[1])]
        assert sorted(instance.get_materialized_partitions(MESSAGES)) == days(FIRST, LAST)
    assert_messages_exact(settings, simulator.organisation, days(FIRST, LAST))


def test_a_range_whose_process_is_killed_resumes_with_only_the_missing_days(
    tmp_path, settings, simulator
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The first window answers at once, the second takes long enough to kill the run meanwhile.
    simulator.faults.inject("slow", count=1, endpoint="message_export", seconds=0)
    simulator.faults.inject("slow", count=1, endpoint="message_export", seconds=20)
    args = [simulator.url, settings.data_dir, str(home), FIRST, LAST]
    worker = subprocess.Popen(
        [sys.executable, "-m", "dixa_assets_tests.range_worker", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with DagsterInstance.local_temp(str(home)) as instance:
            deadline = time.monotonic() + 120
            while len(instance.get_materialized_partitions(MESSAGES)) < 23:
                assert worker.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline, "the first window's days never showed"
                time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert stored_days(settings) == days(FIRST, LAST)[:23]
    simulator.reset_log()
    with DagsterInstance.local_temp(str(home)) as instance:
        kept = sorted(instance.get_materialized_partitions(MESSAGES))
        assert kept == days(FIRST, LAST)[:23]
        missing = [d for d in days(FIRST, LAST) if d not in kept]
        assert run_assets(
            settings, ["dixa_messages"], missing[0], missing[-1], instance=instance
        ).success
        assert sorted(instance.get_materialized_partitions(MESSAGES)) == days(FIRST, LAST)
    windows = requested_windows(simulator)
    assert windows[0][0] == day_ms(missing[0])[0] and windows[-1][1] == day_ms(LAST)[1]
    assert len(windows) == 2  # 47 days: two requests, none for the days already kept
    assert_messages_exact(settings, simulator.organisation, days(FIRST, LAST))
