"""A Dagster IO manager that stores daily-partitioned DataFrames in the Parquet lake.

Unlike Dagster's ``UPathIOManager``, it accepts an output that spans several partitions (a
single-run backfill): it splits the rows into their daily files by the asset's partitioning
timestamp column, named in the asset's ``dixa/partition_column`` metadata. Every row must fall
in exactly one partition of the run, or nothing is written. Inputs come back as one DataFrame,
for one partition or a range; an input whose metadata sets ``allow_missing_partitions`` (the
convention of Dagster's ``UPathIOManager``) gets the days that exist and skips the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
from dagster import ConfigurableIOManager, InputContext, OutputContext

from dixa_assets.arrow.daily_split import split_by_windows
from dixa_assets.arrow.schemas import empty_table
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.partitions import partition_windows
from dixa_assets.lake.parquet import ParquetLake, PartitionMissing
from dixa_assets.lake.root import is_local
from dixa_assets.lake.schema import DECLARED

if TYPE_CHECKING:
    # Imported where DataFrames are made: a run that only fetches never needs pandas, and every
    # process loading the definitions would pay for it (0.2 s, 40 MB).
    import pandas as pd

PARTITION_COLUMN_KEY = "dixa/partition_column"
ALLOW_MISSING_PARTITIONS = "allow_missing_partitions"


class DixaLakeIOManager(ConfigurableIOManager):
    """Parquet files at ``<base_dir>/<asset>/<partition key>.parquet`` of the ``parquet_lake``
    resource."""

    parquet_lake: ParquetLakeResource

    @property
    def lake(self) -> ParquetLake:
        return self.parquet_lake.get_lake()

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
        metadata: dict[str, object] = {"lake_folder": str(self.lake.root / asset)}
        if len(keys) == 1:
            metadata.update(file_metadata(self.lake, asset, keys[0]))
        context.add_output_metadata(metadata)

    def load_input(self, context: InputContext) -> pd.DataFrame:
        import pandas as pd

        asset = _asset_name(context)
        keys = list(context.asset_partition_keys)
        if context.definition_metadata.get(ALLOW_MISSING_PARTITIONS):
            keys = self._stored(context, asset, keys)
            if not keys:
                return _empty(asset).to_pandas(types_mapper=pd.ArrowDtype)
        table = self.lake.read(asset, keys)
        return table.to_pandas(types_mapper=pd.ArrowDtype)

    def _stored(self, context: InputContext, asset: str, keys: list[str]) -> list[str]:
        """The keys whose files exist; the others are logged as skipped."""
        stored = [key for key in keys if self.lake.path(asset, key).exists()]
        skipped = [key for key in keys if key not in stored]
        if skipped:
            context.log.warning(
                f"{asset}: {len(skipped)} of {len(keys)} partition(s) not materialized, skipped "
                f"({ALLOW_MISSING_PARTITIONS}): {', '.join(skipped)}"
            )
        return stored


def file_metadata(lake: ParquetLake, asset: str, key: str) -> dict[str, object]:
    """Where a partition's file is: a path to open, and Dagster's ``dagster/uri``."""
    path = lake.path(asset, key)
    uri = path.absolute().as_uri() if is_local(path) else str(path)
    return {"path": str(path), "dagster/uri": uri}


def _empty(asset: str) -> pa.Table:
    """No partition at all: the declared columns and no rows, for an asset with a schema."""
    declared = DECLARED.get(asset)
    if declared is None:
        raise PartitionMissing(
            f"{asset}: none of the partitions asked for has been materialized, and without a "
            "declared schema there are no columns to return"
        )
    return empty_table(declared)


def _asset_name(context: OutputContext | InputContext) -> str:
    return "__".join(context.asset_key.path)
