"""The rewrite command on a local and an S3 lake: old files are rewritten, current ones left."""

import os
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dixa_assets.arrow.records import records_to_table
from dixa_assets.arrow.schemas import MESSAGES
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.rewrite import rewrite_lake

MESSAGE = {"id": "m1", "csid": 7, "created_at": 1_740_787_200_000, "to": ["a@example.com"]}


def old_and_current_day(lake: ParquetLake) -> pa.Table:
    """2025-03-02 as this version writes it, 2025-03-01 as an earlier one did (same rows)."""
    table = records_to_table([MESSAGE], MESSAGES, "test")
    lake.write("dixa_messages", "2025-03-02", table)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    lake.path("dixa_messages", "2025-03-01").write_bytes(sink.getvalue().to_pybytes())
    return table


def test_only_files_not_yet_current_are_rewritten(lake_url):
    lake = ParquetLake(lake_url)
    table = old_and_current_day(lake)
    current = lake.path("dixa_messages", "2025-03-02")
    current_bytes = current.read_bytes()
    old = lake.path("dixa_messages", "2025-03-01")

    assert rewrite_lake(lake, dry_run=True) == {"dixa_messages": ["2025-03-01"]}
    assert b"pandas" in pq.read_schema(old.path, filesystem=old.fs).metadata
    assert rewrite_lake(lake) == {"dixa_messages": ["2025-03-01"]}
    assert rewrite_lake(lake) == {}
    assert pq.read_schema(old.path, filesystem=old.fs).metadata is None
    assert current.read_bytes() == current_bytes
    assert lake.read("dixa_messages", ["2025-03-01"]).equals(table, check_metadata=True)


def test_the_command_rewrites_the_lake_the_settings_name(tmp_path):
    """``python -m dixa_assets.lake_rewrite`` without ``--data-dir`` follows ``DIXA_DATA_DIR``."""
    old_and_current_day(ParquetLake(tmp_path))
    command = [sys.executable, "-m", "dixa_assets.lake_rewrite"]
    env = {**os.environ, "DIXA_DATA_DIR": str(tmp_path)}
    listed = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-2:] == [
        "dixa_messages: 1 of 2 day(s) to rewrite",
        "  2025-03-01",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "dixa_messages: 1 of 2 day(s) rewritten" in done.stdout
    assert rewrite_lake(ParquetLake(tmp_path), dry_run=True) == {}
