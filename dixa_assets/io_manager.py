"""A Dagster IO manager that stores daily-partitioned DataFrames in the Parquet lake.

Unlike Dagster's ``UPathIOManager``, it accepts an output that spans several partitions (a
single-run backfill): it splits the rows into their daily files by the asset's partitioning
timestamp column, named in the asset's ``dixa/partition_column`` metadata. Every row must fall
in exactly one partition of the run, or nothing is written. Inputs come back as one DataFrame,
for one partition or a range.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from dagster import ConfigurableIOManager, InputContext, OutputContext

from .daily_split import partition_windows, split_by_windows
from .lake import ParquetLake

PARTITION_COLUMN_KEY = "dixa/partition_column"


class DixaLakeIOManager(ConfigurableIOManager):
    """Parquet files at ``<base_dir>/<asset>/<partition key>.parquet``."""

    base_dir: str

    @property
    def lake(self) -> ParquetLake:
        return ParquetLake(self.base_dir)

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        asset = _asset_name(context)
        column = context.definition_metadata.get(PARTITION_COLUMN_KEY)
        if not context.has_asset_partitions or column is None:
            raise ValueError(
                f"{asset}: this IO manager stores daily partitions; the asset needs a partitions "
                f"definition and {PARTITION_COLUMN_KEY!r} metadata"
            )
        keys = list(context.asset_partition_keys)
        windows = partition_windows(context.asset_partitions_def, keys)
        table = pa.Table.from_pandas(obj, preserve_index=False)
        parts = split_by_windows(table, column, windows)
        self.lake.write_all(asset, zip(keys, parts, strict=True))
        metadata: dict[str, str | int] = {"lake_folder": str(self.lake.root / asset)}
        if len(keys) == 1:
            metadata["path"] = str(self.lake.path(asset, keys[0]))
        context.add_output_metadata(metadata)

    def load_input(self, context: InputContext) -> pd.DataFrame:
        asset = _asset_name(context)
        table = self.lake.read(asset, list(context.asset_partition_keys))
        return table.to_pandas(types_mapper=pd.ArrowDtype)


def _asset_name(context: OutputContext | InputContext) -> str:
    return "__".join(context.asset_key.path)
