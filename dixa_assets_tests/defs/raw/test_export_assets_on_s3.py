"""End to end on object storage: a real Dagster run lands raw partitions in ``s3://`` (a local
S3-compatible server), equal to the simulator's ground truth, and DuckDB reads them from there."""

from dataclasses import replace

import duckdb

from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import lake_glob
from dixa_assets_tests.conftest import day_ms, run_assets

DAY = "2025-03-03"
RAW = ("dixa_conversations", "dixa_messages")


def test_raw_partitions_land_in_s3_equal_to_the_ground_truth(settings, simulator, s3_lake_url):
    result = run_assets(replace(settings, data_dir=s3_lake_url), RAW, DAY)
    assert result.success

    start, end = day_ms(DAY)
    truth = {
        "dixa_conversations": simulator.organisation.conversations(start, end, field="updated_at"),
        "dixa_messages": simulator.organisation.messages(start, end),
    }
    lake = ParquetLake(s3_lake_url)
    for asset, expected in truth.items():
        assert expected, f"a test day should not be empty ({asset})"
        stored = lake.read(asset, [DAY]).column("id").to_pylist()
        assert sorted(stored) == sorted(row["id"] for row in expected), asset
        (materialization,) = result.asset_materializations_for_node(asset)
        assert materialization.metadata["path"].value == f"{s3_lake_url}/{asset}/{DAY}.parquet"

    with duckdb.connect() as con:
        glob = lake_glob(con, s3_lake_url, "dixa_messages")
        (count,) = con.execute("SELECT count(*) FROM read_parquet($g)", {"g": glob}).fetchone()
    assert count == len(truth["dixa_messages"])
