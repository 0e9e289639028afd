"""The ``parquet_lake`` resource: the Parquet lake at ``DIXA_DATA_DIR``, for every step that
reads or writes it (the raw assets' day writes, the IO manager, the raw checks, the modelled
assets, the erasure, the reconciliation).

The folder comes from ``Settings.data_dir`` (``DIXA_DATA_DIR`` or its default, read when the
code location loads) rather than an ``EnvVar`` resolved at run time: it also places the default
DuckDB file, the demo gives it a folder of its own whatever the shell exports, and an unknown URL
scheme fails when the definitions load (:func:`lake_resource`) instead of in a run.
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.root import lake_root

LAKE_RESOURCE = "parquet_lake"


class ParquetLakeResource(ConfigurableResource):
    """Daily Parquet files at ``<base_dir>/<asset>/<partition key>.parquet``."""

    base_dir: str = Field(
        description="Root of the lake: a local folder or s3://bucket/prefix (DIXA_DATA_DIR)."
    )

    def get_lake(self) -> ParquetLake:
        return ParquetLake(self.base_dir)


def lake_resource(data_dir: str) -> ParquetLakeResource:
    """The resource over ``data_dir``, refused at once if it is neither a folder nor S3."""
    lake_root(data_dir)
    return ParquetLakeResource(base_dir=data_dir)
