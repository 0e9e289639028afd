"""The Parquet lake: one file per asset and daily partition, replaced atomically.

Layout: ``<root>/<asset>/<partition key>.parquet``. A write goes to a hidden temporary file in the
same folder and is renamed over the old file only once complete, so a reader (DuckDB's
``read_parquet('<root>/<asset>/*.parquet')`` included) sees the old partition or the new one,
never half of one, and a crashed write leaves the previous version in place.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STALE_TEMP_SECONDS = 3600


class PartitionMissing(FileNotFoundError):
    """A partition was asked for that has never been written."""


class ParquetLake:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, asset: str, partition: str) -> Path:
        return self.root / asset / f"{partition}.parquet"

    def write(self, asset: str, partition: str, table: pa.Table) -> Path:
        """Write ``table`` as the partition, replacing any earlier version atomically."""
        target = self.path(asset, partition)
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target)
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temp, "wb") as sink:
                pq.write_table(table, sink, compression="zstd")
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return target

    def read(self, asset: str, partitions: Sequence[str]) -> pa.Table:
        """The partitions' rows, in partition order, as one table."""
        tables = []
        for partition in partitions:
            path = self.path(asset, partition)
            if not path.exists():
                raise PartitionMissing(
                    f"{asset} partition {partition} has not been materialized (no {path})"
                )
            tables.append(pq.read_table(path))
        if not tables:
            raise ValueError(f"no partitions of {asset} were asked for")
        return pa.concat_tables(tables, promote_options="default")

    def partitions(self, asset: str) -> list[str]:
        """The partition keys stored for ``asset``, sorted."""
        folder = self.root / asset
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []


def _remove_stale_temps(target: Path) -> None:
    """Delete temp files that a crashed writer left; a recent one may still be in use."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for temp in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if temp.stat().st_mtime < cutoff:
                temp.unlink()
        except FileNotFoundError:
            pass
