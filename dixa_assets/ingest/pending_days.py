"""Rows on their way to the lake: written per day to hidden files as a response is decoded.

An export answer can hold millions of records. Rather than hold a window's table, each attempt
of a request writes every decoded batch's rows, split by day, to a temporary Parquet file per day
(:class:`DayWriters`, the client's sink). A failed attempt deletes its files; a complete one
hands them over. Once every request covering a day has arrived, the day's files (one per request
that touched it) are read back as one table, the only time a day is in memory whole
(:class:`PendingDay`), and stored (:mod:`.day_files`). Memory thus holds a batch per request in
flight and a few days being stored, however many records the window has.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dixa_assets.arrow.daily_split import rows_by_window
from dixa_assets.arrow.duplicates import latest_per_id
from dixa_assets.arrow.records import records_to_table, unknown_field_counts
from dixa_assets.arrow.schemas import EXTRA_FIELDS, TableSpec
from dixa_assets.exports_api import Record, Window

# Read back once, soon: cheap to write matters more than small.
TEMP_COMPRESSION = "lz4"


@dataclass(frozen=True)
class Spilled:
    """What one complete answer left: a file per day it had rows for, and its unknown fields."""

    files: dict[str, Path]
    unknown_fields: Counter[str]


class DayWriters:
    """One attempt's rows into a hidden Parquet file per day of ``days``, batch by batch."""

    def __init__(
        self, folder: Path, spec: TableSpec, days: Sequence[tuple[str, Window]], where: str
    ) -> None:
        self._folder = folder
        self._spec = spec
        self._keys = [key for key, _ in days]
        self._windows = [window for _, window in days]
        self._where = where
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._files: dict[str, Path] = {}
        self._unknown: Counter[str] = Counter()

    def add(self, records: list[Record]) -> None:
        table = records_to_table(records, self._spec, self._where)
        self._unknown.update(unknown_field_counts(table, EXTRA_FIELDS))
        for slot, rows in rows_by_window(table, self._spec.partition_field, self._windows):
            self._writer(self._keys[slot]).write_table(rows)

    def finish(self) -> Spilled:
        self._close()
        return Spilled(dict(self._files), self._unknown)

    def discard(self) -> None:
        try:
            self._close()
        finally:
            for path in self._files.values():
                path.unlink(missing_ok=True)

    def _writer(self, key: str) -> pq.ParquetWriter:
        writer = self._writers.get(key)
        if writer is None:
            path = self._folder / f".{key}.{uuid.uuid4().hex}.parquet"
            self._files[key] = path
            writer = pq.ParquetWriter(path, self._spec.arrow_schema, compression=TEMP_COMPRESSION)
            self._writers[key] = writer
        return writer

    def _close(self) -> None:
        writers, self._writers = self._writers, {}
        for writer in writers.values():
            writer.close()


class PendingDay:
    """A day every request covering it has answered: its files, waiting to be read and stored."""

    def __init__(self, key: str, files: Sequence[Path], spec: TableSpec) -> None:
        self.key = key
        self._files = list(files)
        self._spec = spec
        self.rows = 0  # once read: rows fetched for the day, one per id
        self.duplicates_dropped = 0  # older versions of ids that came twice for the day

    def read(self) -> pa.Table:
        """The day's rows from all its files, the newest version of each id; deletes the files."""
        tables = [self._spec.arrow_schema.empty_table()]
        tables += [pq.read_table(path, schema=self._spec.arrow_schema) for path in self._files]
        for path in self._files:
            path.unlink(missing_ok=True)
        table, self.duplicates_dropped = latest_per_id(
            pa.concat_tables(tables), "id", self._spec.partition_field
        )
        self.rows = table.num_rows
        return table
