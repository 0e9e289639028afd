"""The rewrite command on a local and an S3 lake: old files are rewritten, current ones left."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dixa_assets.arrow.records import records_to_table
from dixa_assets.arrow.schemas import MESSAGES
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.rewrite import rewrite_lake

MESSAGE = {"id": "m1", "csid": 7, "created_at": 1_740_787_200_000, "to": ["a@example.com"]}


def test_only_files_not_yet_current_are_rewritten(lake_url):
    lake = ParquetLake(lake_url)
    table = records_to_table([MESSAGE], MESSAGES, "test")
    lake.write("dixa_messages", "2025-03-02", table)
    current = lake.path("dixa_messages", "2025-03-02")
    current_bytes = current.read_bytes()
    old = lake.path("dixa_messages", "2025-03-01")  # as an earlier version wrote it
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    old.write_bytes(sink.getvalue().to_pybytes())

    assert rewrite_lake(lake, dry_run=True) == {"dixa_messages": ["2025-03-01"]}
    assert b"pandas" in pq.read_schema(old.path, filesystem=old.fs).metadata
    assert rewrite_lake(lake) == {"dixa_messages": ["2025-03-01"]}
    assert rewrite_lake(lake) == {}
    assert pq.read_schema(old.path, filesystem=old.fs).metadata is None
    assert current.read_bytes() == current_bytes
    assert lake.read("dixa_messages", ["2025-03-01"]).equals(table, check_metadata=True)
