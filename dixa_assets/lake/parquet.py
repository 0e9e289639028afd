"""The Parquet lake: one file per asset and daily partition, replaced atomically.

Layout: ``<root>/<asset>/<partition key>.parquet``, where the root is a local folder or an
``s3://bucket/prefix`` URL (see :mod:`dixa_assets.lake.root`). A reader (DuckDB's
``read_parquet('<root>/<asset>/*.parquet')`` included) sees the old partition or the new one,
never half of one, and a crashed write leaves the previous version in place:

* on a local disk, a write goes to a hidden temporary file in the same folder, is fsynced, and is
  renamed over the old file only once complete (``os.replace`` is atomic within a filesystem);
* on S3, the file is serialized in memory and uploaded in one request (a multipart upload above
  s3fs's threshold), because S3 makes an object visible only when its PUT (or the multipart
  upload's completion) succeeds, and then replaces the old version whole. Nothing is uploaded
  until the table is fully serialized, so a failed write changes nothing; there is no temporary
  object to clean up and no rename (S3 has none).

Every write puts the table in its asset's declared schema first (:mod:`dixa_assets.lake.schema`):
no pandas metadata, each field's description, declared types, so pandas, polars, DuckDB and
pyarrow open any file as it is. Reads do the same, so a range spanning a schema change reads as
one table of the current schema.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock
from upath import UPath

from dixa_assets.lake.root import is_local, lake_root
from dixa_assets.lake.schema import conform

STALE_TEMP_SECONDS = 3600
PARALLEL_WRITES = 4
COMPRESSION = "zstd"
# Level 1: a day of 100k conversations wrote in 0.27 s instead of 0.34 (the default, 3), and its
# file came out the same size (8 MiB).
COMPRESSION_LEVEL = 1
# Rows per row group when a partition is written piece by piece (write_pieces): what memory holds
# of it at once. A day of 100k conversations: 8 MiB in one group, 9 MiB in groups of 16k, as fast.
ROW_GROUP_ROWS = 16_384
LOCKS_FOLDER = ".locks"
SCRATCH_FOLDER = ".incoming"


T = TypeVar("T")
R = TypeVar("R")


class PartitionMissing(FileNotFoundError):
    """A partition was asked for that has never been written."""


class ParquetLake:
    """Daily Parquet partitions of each asset under one root, local or on S3."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root: UPath = lake_root(root)

    def path(self, asset: str, partition: str) -> UPath:
        """Where the partition's file is (a ``pathlib.Path`` when the lake is local)."""
        return self.root / asset / f"{partition}.parquet"

    def write(self, asset: str, partition: str, table: pa.Table) -> UPath:
        """Write ``table`` as the partition, replacing any earlier version atomically."""
        table = conform(table, asset, f"{asset} partition {partition}")
        return self._replace(asset, partition, partial(_write_table, table))

    def write_pieces(self, asset: str, partition: str, pieces: Iterable[pa.Table]) -> UPath:
        """Write the partition from ``pieces`` (its rows in order, in tables of one schema) a
        row group at a time, so that memory holds a row group rather than the partition;
        replaces any earlier version atomically, as :meth:`write` does."""
        where = f"{asset} partition {partition}"
        groups = (conform(group, asset, where) for group in _row_groups(pieces))
        return self._replace(asset, partition, partial(_write_row_groups, groups, where))

    def _replace(self, asset: str, partition: str, write_to: Callable[[Any], None]) -> UPath:
        target = self.path(asset, partition)
        if is_local(target):
            _replace_file(target, write_to)
        else:
            _put_object(target, write_to)
        return target

    def write_all(
        self, asset: str, days: Iterable[tuple[str, pa.Table]], workers: int = PARALLEL_WRITES
    ) -> None:
        """Write many partitions, a few at a time, each as :meth:`write` does."""
        for _ in a_few_at_a_time(lambda day: self.write(asset, *day), days, workers):
            pass

    @contextlib.contextmanager
    def lock(self, asset: str, partition: str) -> Iterator[None]:
        """Hold the partition against other writers that also take this lock (a read, merge
        and write of the same day by two runs at once would lose one run's rows).

        A lock file under ``<root>/.locks/`` on a local lake (out of the assets' folders, so
        that listings and globs of a folder see only its days); on S3 there is no shared lock,
        and the ``dixa_exports_api`` pool keeps two runs from fetching the same day at once.
        """
        if not is_local(self.root):
            yield
            return
        folder = self.root / LOCKS_FOLDER / asset
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / f"{partition}.lock")):
            yield

    def scratch_folder(self) -> Path | None:
        """Where a run keeps the temporary files of the days it is fetching: ``<root>/.incoming``
        on a local lake (the same disk; folders a killed run left are removed after an hour),
        the system's temporary folder (``TMPDIR``) when the lake is on S3 (``None``)."""
        if not is_local(self.root):
            return None
        folder = Path(self.root / SCRATCH_FOLDER)
        folder.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - STALE_TEMP_SECONDS
        for left in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if left.stat().st_mtime < cutoff:
                    shutil.rmtree(left, ignore_errors=True)
        return folder

    def read_partition(self, asset: str, partition: str) -> pa.Table | None:
        """The partition's stored rows in the asset's current schema (see
        :mod:`.lake_schema`), or None if it has never been written."""
        path = self.path(asset, partition)
        if not path.exists():
            return None
        day = pq.read_table(path.path, filesystem=path.fs)
        return conform(day, asset, f"{asset} partition {partition}")

    def read(self, asset: str, partitions: Sequence[str]) -> pa.Table:
        """The partitions' rows, in partition order, as one table."""
        tables = []
        for partition in partitions:
            table = self.read_partition(asset, partition)
            if table is None:
                raise PartitionMissing(
                    f"{asset} partition {partition} has not been materialized "
                    f"(no {self.path(asset, partition)})"
                )
            tables.append(table)
        if not tables:
            raise ValueError(f"no partitions of {asset} were asked for")
        return pa.concat_tables(tables, promote_options="default")

    def partitions(self, asset: str) -> list[str]:
        """The partition keys stored for ``asset``, sorted."""
        folder = self.root / asset
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []


def a_few_at_a_time(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work`` on each item in threads, results in order, at most ``workers`` items taken ahead.

    A partition write is mostly compression and fsync (or an upload), which release the GIL, so
    a backfill's hundreds of small files go several at once while memory holds a few days.
    """
    with ThreadPoolExecutor(workers, thread_name_prefix="lake-write") as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _write_table(table: pa.Table, sink: Any) -> None:
    pq.write_table(table, sink, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL)


def _write_row_groups(groups: Iterable[pa.Table], where: str, sink: Any) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for group in groups:
            if writer is None:
                writer = pq.ParquetWriter(
                    sink, group.schema, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL
                )
            writer.write_table(group)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError(f"{where}: no rows to write")


def _row_groups(tables: Iterable[pa.Table]) -> Iterator[pa.Table]:
    """``tables`` gathered into tables of ``ROW_GROUP_ROWS`` rows or more (the last: fewer)."""
    gathered: list[pa.Table] = []
    rows = 0
    for table in tables:
        gathered.append(table)
        rows += table.num_rows
        if rows >= ROW_GROUP_ROWS:
            yield pa.concat_tables(gathered)
            gathered, rows = [], 0
    if gathered:
        yield pa.concat_tables(gathered)


def _replace_file(target: UPath, write_to: Callable[[Any], None]) -> None:
    """Temp file in the target's folder, fsync, then rename over the target."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "wb") as sink:
            write_to(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _put_object(target: UPath, write_to: Callable[[Any], None]) -> None:
    """The whole file in one upload, which an object store makes visible only once complete.

    Not ``target.open("wb")``: an fsspec file closed by an exception still commits what it has,
    which would replace a good partition with a truncated one.
    """
    sink = pa.BufferOutputStream()
    write_to(sink)
    target.fs.pipe_file(target.path, sink.getvalue().to_pybytes())


def _remove_stale_temps(target: UPath) -> None:
    """Delete temp files that a crashed writer left; a recent one may still be in use."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for temp in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if temp.stat().st_mtime < cutoff:
                temp.unlink()
        except FileNotFoundError:
            pass
