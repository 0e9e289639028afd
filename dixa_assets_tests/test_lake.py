import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dixa_assets.lake import STALE_TEMP_SECONDS, ParquetLake, PartitionMissing


def test_write_replaces_and_reads_back(tmp_path):
    lake = ParquetLake(tmp_path)
    lake.write("dixa_messages", "2025-03-01", pa.table({"id": ["a", "b"]}))
    path = lake.write("dixa_messages", "2025-03-01", pa.table({"id": ["c"]}))
    assert path == tmp_path / "dixa_messages" / "2025-03-01.parquet"
    assert lake.read("dixa_messages", ["2025-03-01"]).column("id").to_pylist() == ["c"]
    assert lake.partitions("dixa_messages") == ["2025-03-01"]
    assert [p.name for p in path.parent.iterdir()] == ["2025-03-01.parquet"]


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    lake = ParquetLake(tmp_path)
    lake.write("a", "2025-01-01", pa.table({"x": [1]}))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        lake.write("a", "2025-01-01", pa.table({"x": [2]}))
    monkeypatch.undo()
    assert lake.read("a", ["2025-01-01"]).column("x").to_pylist() == [1]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["2025-01-01.parquet"]


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


def test_missing_partition_is_a_clear_error(tmp_path):
    with pytest.raises(PartitionMissing, match="2025-01-02 has not been materialized"):
        ParquetLake(tmp_path).read("a", ["2025-01-02"])
