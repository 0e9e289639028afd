"""The Parquet lake on a local disk and on S3 (a local S3-compatible server): same interface,
same guarantees."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dixa_assets.lake import parquet
from dixa_assets.lake.parquet import STALE_TEMP_SECONDS, ParquetLake, PartitionMissing


def test_write_replaces_and_reads_back(lake_url):
    lake = ParquetLake(lake_url)  # an asset without a declared schema: any table goes
    lake.write("events", "2025-03-01", pa.table({"id": ["a", "b"]}))
    path = lake.write("events", "2025-03-01", pa.table({"id": ["c"]}))
    assert str(path) == f"{lake_url}/events/2025-03-01.parquet"
    assert lake.read("events", ["2025-03-01"]).column("id").to_pylist() == ["c"]
    assert lake.partitions("events") == ["2025-03-01"]
    assert [p.name for p in path.parent.iterdir()] == ["2025-03-01.parquet"]


def test_a_local_partition_path_is_a_plain_path(tmp_path):
    path = ParquetLake(tmp_path).path("dixa_messages", "2025-03-01")
    assert path == tmp_path / "dixa_messages" / "2025-03-01.parquet"


def test_read_concatenates_partitions_in_order(lake_url):
    lake = ParquetLake(lake_url)
    lake.write("a", "2025-01-02", pa.table({"x": [2]}))
    lake.write("a", "2025-01-01", pa.table({"x": [1]}))
    assert lake.read("a", ["2025-01-01", "2025-01-02"]).column("x").to_pylist() == [1, 2]
    assert lake.partitions("a") == ["2025-01-01", "2025-01-02"]
    assert lake.partitions("never_written") == []


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp(lake_url, monkeypatch):
    lake = ParquetLake(lake_url)
    lake.write("a", "2025-01-01", pa.table({"x": [1]}))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        lake.write("a", "2025-01-01", pa.table({"x": [2]}))
    monkeypatch.undo()
    assert lake.read("a", ["2025-01-01"]).column("x").to_pylist() == [1]
    assert sorted(p.name for p in (lake.root / "a").iterdir()) == ["2025-01-01.parquet"]


def test_a_write_that_fails_midway_on_s3_leaves_the_previous_object(s3_lake_url, monkeypatch):
    """What reaches the store is all or nothing, even when the writer dies mid-file."""
    lake = ParquetLake(s3_lake_url)
    lake.write("a", "2025-01-01", pa.table({"x": list(range(1000))}))

    def half_then_crash(table, sink, **kwargs):
        sink.write(b"PAR1 half a file")
        raise OSError("killed")

    monkeypatch.setattr(pq, "write_table", half_then_crash)
    with pytest.raises(OSError, match="killed"):
        lake.write("a", "2025-01-01", pa.table({"x": [2]}))
    monkeypatch.undo()
    assert lake.read("a", ["2025-01-01"]).num_rows == 1000


def test_a_partition_written_piece_by_piece_is_the_whole_table_in_row_groups(lake_url, monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 5)
    lake = ParquetLake(lake_url)
    pieces = [pa.table({"x": list(range(n, n + 3)), "y": ["a"] * 3}) for n in range(0, 30, 3)]
    lake.write("a", "2025-01-01", pa.table({"x": [-1], "y": ["old"]}))
    path = lake.write_pieces("a", "2025-01-01", iter(pieces))
    assert lake.read("a", ["2025-01-01"]).equals(pa.concat_tables(pieces))
    with path.fs.open(path.path, "rb") as file:
        assert pq.ParquetFile(file).metadata.num_row_groups == 5  # 6 rows each: 2 pieces
    assert [p.name for p in path.parent.iterdir()] == ["2025-01-01.parquet"]


def test_a_piece_by_piece_write_that_fails_midway_leaves_the_previous_file(lake_url, monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 2)
    lake = ParquetLake(lake_url)
    lake.write("a", "2025-01-01", pa.table({"x": [1]}))

    def pieces():
        yield pa.table({"x": [2, 3]})  # a row group written
        yield pa.table({"x": [4, 5]})
        raise OSError("killed")

    with pytest.raises(OSError, match="killed"):
        lake.write_pieces("a", "2025-01-01", pieces())
    assert lake.read("a", ["2025-01-01"]).column("x").to_pylist() == [1]
    assert sorted(p.name for p in (lake.root / "a").iterdir()) == ["2025-01-01.parquet"]


def test_stale_temps_of_a_crashed_writer_are_removed_but_fresh_ones_kept(tmp_path):
    lake = ParquetLake(tmp_path)
    folder = tmp_path / "a"
    folder.mkdir()
    stale = folder / ".2025-01-01.parquet.dead.tmp"
    fresh = folder / ".2025-01-01.parquet.live.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - STALE_TEMP_SECONDS - 10
    os.utime(stale, (old, old))
    lake.write("a", "2025-01-01", pa.table({"x": [1]}))
    assert not stale.exists() and fresh.exists()
    assert lake.partitions("a") == ["2025-01-01"]


def test_missing_partition_is_a_clear_error(lake_url):
    with pytest.raises(PartitionMissing, match="2025-01-02 has not been materialized"):
        ParquetLake(lake_url).read("a", ["2025-01-02"])


@pytest.mark.parametrize("url", ["gs://bucket/lake", "ftp://host/lake", "memory://lake"])
def test_other_url_schemes_are_refused(url):
    with pytest.raises(ValueError, match="a local folder or an s3:// URL"):
        ParquetLake(url)


def test_write_all_writes_every_day_and_surfaces_a_failure(tmp_path, monkeypatch):
    lake = ParquetLake(tmp_path)
    days = [(f"2025-01-{d:02d}", pa.table({"d": [d]})) for d in range(1, 11)]
    lake.write_all("a", iter(days), workers=3)
    assert lake.partitions("a") == [key for key, _ in days]
    assert lake.read("a", ["2025-01-07"]).column("d").to_pylist() == [7]

    real_write = lake.write

    def failing_write(asset, partition, table):
        if partition == "2025-01-04":
            raise OSError("disk full")
        return real_write(asset, partition, table)

    monkeypatch.setattr(lake, "write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        lake.write_all("b", iter(days), workers=3)


def test_writers_of_one_partition_at_once_leave_one_whole_version(tmp_path):
    """Two runs of the same day write at the same moment: one version wins, whole."""
    lake = ParquetLake(tmp_path)
    writers = 6
    versions = [pa.table({"id": [f"{w}-{i}" for i in range(100_000)]}) for w in range(writers)]
    start = threading.Barrier(writers)

    def write(version: pa.Table) -> None:
        start.wait(timeout=30)
        lake.write("a", "2025-03-01", version)

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, versions))  # re-raises any writer's error
    stored = lake.read("a", ["2025-03-01"])
    assert any(stored.equals(version) for version in versions)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["2025-03-01.parquet"]
