"""DuckDB reads the lake, local or on S3, with no extension to download."""

import duckdb
import pyarrow as pa
import pytest

from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import attach_lake, lake_glob


@pytest.fixture
def lake(lake_url) -> ParquetLake:
    """A lake with two days of ``a``, in a temp folder or a fresh bucket on the S3 server."""
    lake = ParquetLake(lake_url)
    lake.write("a", "2025-01-01", pa.table({"x": [1, 2]}))
    lake.write("a", "2025-01-02", pa.table({"x": [3]}))
    return lake


def test_the_glob_reads_every_partition_and_nothing_else(lake):
    with duckdb.connect() as con:
        glob = lake_glob(con, str(lake.root), "a")
        rows = con.execute("SELECT sum(x), count(*) FROM read_parquet($g)", {"g": glob}).fetchone()
        assert rows == (6, 3)
        assert not con.execute(
            "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
        ).fetchone()[0]


def test_explicit_file_lists_read_after_attach_and_attaching_twice_is_harmless(lake):
    files = [str(lake.path("a", day)) for day in lake.partitions("a")]
    with duckdb.connect() as con:
        attach_lake(con, str(lake.root))
        attach_lake(con, str(lake.root))
        query = "SELECT count(*) FROM read_parquet($files)"
        assert con.execute(query, {"files": files}).fetchone() == (3,)


def test_a_local_glob_skips_a_writer_s_hidden_temp_file(tmp_path):
    lake = ParquetLake(tmp_path)
    lake.write("a", "2025-01-01", pa.table({"x": [1]}))
    (tmp_path / "a" / ".2025-01-02.parquet.live.tmp").write_bytes(b"half a file")
    with duckdb.connect() as con:
        glob = lake_glob(con, tmp_path, "a")
        assert con.execute("SELECT count(*) FROM read_parquet($g)", {"g": glob}).fetchone() == (1,)
