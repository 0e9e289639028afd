"""Rows on their way to the lake: written per day to hidden files as a response is decoded.

An export answer can hold millions of records. Rather than hold a window's table, each attempt
of a request writes every decoded batch's rows, split by day, to temporary files, one per batch and
day (:class:`DayWriters`, the client's sink). A failed attempt deletes its files; a complete one
hands them over. Once every request covering a day has arrived, the day is stored
(:class:`PendingDay`, :mod:`.day_files`): its files are written into the day's Parquet file one
after the other, or, when the day must be merged (with its previous file, or because an id came
twice), read back as one table, the only time a day is in memory whole. Memory thus holds a
batch per request in flight and a few days being stored, however many records the window has.
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dixa_assets.arrow.daily_split import rows_by_window
from dixa_assets.arrow.duplicates import latest_per_id
from dixa_assets.arrow.records import records_to_table, unknown_field_counts
from dixa_assets.arrow.schemas import EXTRA_FIELDS, TableSpec, empty_table
from dixa_assets.exports_api import Record, Window


@dataclass(frozen=True)
class Spilled:
    """What one complete answer left: its files per day it had rows for, its unknown fields."""

    files: dict[str, list[Path]]
    unknown_fields: Counter[str]


@dataclass(frozen=True)
class Written:
    """What one batch left: a file per day it had rows for, and the fields the reference lacks."""

    files: dict[str, Path]
    unknown_fields: dict[str, int]


def write_batch(
    records: list[Record],
    spec: TableSpec,
    where: str,
    days: Sequence[tuple[str, Window]],
    folder: Path,
) -> Written:
    """One batch's records as rows of ``spec``, in a hidden file per day they belong to.

    Runs where the batch was decoded: in the requesting thread or in a worker process
    (``exports_api.decoding_pool``), which then sends back only the paths. The files are Arrow
    IPC, uncompressed: written once and read once, soon, memory-mapped (Parquet's encoding
    cost more than everything else the requesting process did).
    """
    table = records_to_table(records, spec, where)
    files = {}
    windows = [window for _, window in days]
    for slot, rows in rows_by_window(table, spec.partition_field, windows):
        key = days[slot][0]
        path = folder / f".{key}.{uuid.uuid4().hex}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, spec.arrow_schema) as out:
            out.write_table(rows)
        files[key] = path
    return Written(files, unknown_field_counts(table, EXTRA_FIELDS))


class DayWriters:
    """One attempt's rows, batch by batch, into hidden files per day of ``days``.

    The attempt writes into a folder of its own, so that discarding it removes whatever its
    batches wrote, in this process or another.
    """

    def __init__(
        self, folder: Path, spec: TableSpec, days: Sequence[tuple[str, Window]], where: str
    ) -> None:
        self._folder = folder / f"attempt-{uuid.uuid4().hex}"
        self._folder.mkdir()
        # Picklable, so that the client may run it in a worker process (exports_api.decoding_pool).
        self.convert = partial(
            write_batch, spec=spec, where=where, days=tuple(days), folder=self._folder
        )
        self._files: defaultdict[str, list[Path]] = defaultdict(list)
        self._unknown: Counter[str] = Counter()

    def add(self, records: list[Record]) -> None:
        self.add_converted(self.convert(records))

    def add_converted(self, written: Written) -> None:
        """A batch's files, written here or in a worker process, in the body's order."""
        self._unknown.update(written.unknown_fields)
        for key, path in written.files.items():
            self._files[key].append(path)

    def finish(self) -> Spilled:
        return Spilled(dict(self._files), self._unknown)

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


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
        tables = [empty_table(self._spec.arrow_schema)]
        tables += [_read(path) for path in self._files]
        for path in self._files:
            path.unlink(missing_ok=True)
        table, self.duplicates_dropped = latest_per_id(
            pa.concat_tables(tables), "id", self._spec.partition_field
        )
        self.rows = table.num_rows
        return table

    def pieces(self) -> Iterator[pa.Table] | None:
        """The day's rows file by file, for a write that never holds the whole day; None when
        an id came twice (:meth:`read` then keeps each id's newest version) or nothing came.
        Each file is deleted once the next is asked for."""
        if not self._files:
            return None
        # Only the id column's pages are read: the files are memory-mapped.
        columns = [_read(path).column("id") for path in self._files]
        ids = pa.chunked_array([c for column in columns for c in column.chunks], columns[0].type)
        if pc.count_distinct(ids).as_py() != len(ids):
            return None
        self.rows = len(ids)
        return self._each_file()

    def _each_file(self) -> Iterator[pa.Table]:
        for path in self._files:
            yield _read(path)
            path.unlink(missing_ok=True)


def _read(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()
