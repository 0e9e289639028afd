"""Days streamed to temporary files as responses are decoded: an answer that fails mid-body
leaves nothing behind, a day covered by several requests is combined, and the temporary files
go whatever happens. Real requests to the simulator, checked against its ground truth."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dixa_assets.arrow.schemas import MESSAGES
from dixa_assets.defs.metadata import PREVIEW_ROWS, first_rows
from dixa_assets.defs.raw.day_files import store_day
from dixa_assets.defs.raw.export_assets import RAW_EXPORTS
from dixa_assets.exports_api import ExportsClient, Window, decoding_pool, json_stream
from dixa_assets.ingest.exports import DayStream
from dixa_assets.ingest.pending_days import PendingDay, write_batch
from dixa_assets.lake import parquet
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.simulator import Gateway
from dixa_assets_tests.conftest import TOKEN, day_ms

FIRST = date(2025, 2, 3)
DAYS = [(str(FIRST + timedelta(n)), Window(*day_ms(str(FIRST + timedelta(n))))) for n in range(7)]
FETCH_MESSAGES = next(e.fetch for e in RAW_EXPORTS if e.spec is MESSAGES)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of a few records, so that a body cut short has already written some."""
    monkeypatch.setattr(json_stream, "DEFAULT_BATCH_BYTES", 2048)


@pytest.fixture(params=["in the thread", "in worker processes"])
def decoding(request, monkeypatch):
    """Decode every answer in the requesting thread, or (big or not) in worker processes."""
    if request.param == "in worker processes":
        monkeypatch.setattr(decoding_pool, "PARALLEL_FROM_BYTES", 0)
    return request.param


def stream(simulator, scratch) -> tuple[ExportsClient, DayStream]:
    client = ExportsClient(TOKEN, simulator.url, requests_per_minute=None, backoff_s=0.01)
    return client, DayStream(client, MESSAGES, FETCH_MESSAGES, DAYS, "test", scratch)


def test_bodies_dropped_mid_way_leave_no_rows_and_halves_combine_exactly(
    simulator, small_batches, decoding, tmp_path
):
    # The 7-day answer holds > 300 messages: it is dropped half-way, twice, then halved,
    # down to pieces the gateway lets through; pieces end mid-day, so days span two of them.
    simulator.gateway = Gateway(max_records=300, failure="drop_mid_body")
    try:
        client, days = stream(simulator, tmp_path)
        with client:
            stored = {}
            for completed in days:
                for day in completed:
                    ids = day.read().column("id").to_pylist()
                    stored[day.key] = (ids, day.duplicates_dropped)
                if len(stored) == len(DAYS):  # read, still iterating: failed attempts' files?
                    assert not any(tmp_path.rglob(".*.arrow")), "a failed attempt left files"
            assert client.metrics.window_splits > 0
    finally:
        simulator.gateway = None
    dropped = [e for e in simulator.request_log if e.fault == "gateway"]
    assert dropped, "the gateway never cut an answer"
    assert list(stored) == [key for key, _ in DAYS]
    for key, window in DAYS:
        ids, duplicates = stored[key]
        truth = [m["id"] for m in simulator.organisation.messages(window.start_ms, window.end_ms)]
        assert sorted(ids) == sorted(truth), key
        assert duplicates == 0, f"{key}: rows of a failed attempt were kept"
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_stops_midway_leaves_no_temporary_file(simulator, small_batches, tmp_path):
    client, days = stream(simulator, tmp_path)
    with client, pytest.raises(RuntimeError, match="stored nothing"):
        for _ in days:
            assert any(tmp_path.rglob(".*.arrow"))  # the next days' rows are waiting on disk
            raise RuntimeError("stored nothing")
    assert list(tmp_path.iterdir()) == []


def test_a_stored_days_preview_does_not_keep_the_day_in_memory(tmp_path):
    # The previews of a window's days live until the window's figures are reported: a slice
    # would hold every day's whole table that long.
    rows = pa.table({"id": [str(n) for n in range(1000)], "created_at": list(range(1000))})
    lake = ParquetLake(tmp_path)
    day = store_day(lake, "some_asset", "2025-02-03", Window(0, 1000), rows, "created_at")
    assert day.head == rows.slice(0, PREVIEW_ROWS).to_pylist()
    assert all(type(value) in (str, int) for row in day.head for value in row.values())
    empty = store_day(lake, "some_asset", "2025-02-04", Window(0, 1000), rows[:0], "created_at")
    assert empty.head == []


def day_in_files(records: list[dict], tmp_path, batch: int) -> PendingDay:
    """The first day's ``records`` as a fetch leaves them: a temporary file per batch."""
    key = DAYS[0][0]
    files = [
        write_batch(records[i : i + batch], MESSAGES, "test", [DAYS[0]], tmp_path).files[key]
        for i in range(0, len(records), batch)
    ]
    return PendingDay(key, files, MESSAGES)


def test_a_day_nothing_is_merged_into_is_written_piece_by_piece(simulator, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 20)
    key, window = DAYS[0]
    truth = simulator.organisation.messages(window.start_ms, window.end_ms)
    assert len(truth) > 60
    lake = ParquetLake(tmp_path / "lake")
    day = store_day(
        lake, "dixa_messages", key, window, day_in_files(truth, tmp_path, 7), "created_at"
    )
    stored = pq.ParquetFile(lake.path("dixa_messages", key))
    assert stored.metadata.num_row_groups == -(-len(truth) // 21)  # 3 files of 7 rows a group
    rows = stored.read()
    assert rows.column("id").to_pylist() == [m["id"] for m in truth]
    assert rows.schema == lake.read_partition("dixa_messages", key).schema  # as conformed
    assert day.rows == len(truth) and day.versions_kept == 0
    assert day.head == first_rows(rows)
    assert not any(tmp_path.glob(".*.arrow"))


def test_a_day_with_an_id_twice_is_read_whole_and_keeps_the_last_version(
    simulator, tmp_path, monkeypatch
):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 20)
    key, window = DAYS[0]
    truth = simulator.organisation.messages(window.start_ms, window.end_ms)
    again = {**truth[5], "direction": "edited"}  # same created_at: the later arrival wins
    pending = day_in_files([*truth, again], tmp_path, 7)
    day = store_day(ParquetLake(tmp_path), "dixa_messages", key, window, pending, "created_at")
    stored = pq.ParquetFile(ParquetLake(tmp_path).path("dixa_messages", key))
    assert stored.metadata.num_row_groups == 1  # one table, as lake.write writes it
    rows = {r["id"]: r for r in stored.read().to_pylist()}
    assert sorted(rows) == sorted(m["id"] for m in truth)
    assert rows[again["id"]]["direction"] == "edited"
    assert day.rows == len(truth) and pending.duplicates_dropped == 1


def test_the_decoding_workers_are_let_go_once_the_last_answer_is_in(
    simulator, tmp_path, monkeypatch
):
    # Answers over 300 records are refused (504), so the week comes in several pieces, each
    # decoded by worker processes; the last days are written without them (55 MiB each).
    monkeypatch.setattr(decoding_pool, "PARALLEL_FROM_BYTES", 0)  # every answer to workers
    simulator.gateway = Gateway(max_records=300)
    workers_at_each_yield = []
    others = set(multiprocessing.active_children())  # anything another test left running
    try:
        client, days = stream(simulator, tmp_path)
        with client:
            for _ in days:
                workers_at_each_yield.append(len(set(multiprocessing.active_children()) - others))
    finally:
        simulator.gateway = None
    assert len(workers_at_each_yield) > 1
    assert workers_at_each_yield[0] > 0
    assert workers_at_each_yield[-1] == 0
