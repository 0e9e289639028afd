"""A run's rows into their daily files: split by day, merged with what the day holds, written.

The raw assets write through here rather than through the IO manager so that each day's read of
its previous file, merge and write happen under one lock, and so that what the UI shows for a
day (its row count, its first rows) describes the file as written, not the rows fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from dixa_assets.arrow.daily_split import split_by_windows
from dixa_assets.arrow.duplicates import keep_newest
from dixa_assets.defs.metadata import PREVIEW_ROWS, first_rows
from dixa_assets.exports_api import Window
from dixa_assets.lake.parquet import PARALLEL_WRITES, ParquetLake, a_few_at_a_time


@dataclass(frozen=True)
class DayStored:
    key: str
    rows: int
    versions_kept: int  # rows of the day's previous file that this fetch did not return again
    head: list[dict[str, Any]]  # the first rows, for the preview


def store_days(
    lake: ParquetLake,
    asset: str,
    table: pa.Table,
    partition_column: str,
    keys: Sequence[str],
    windows: Sequence[Window],
    keep_versions_by: str | None = None,
) -> list[DayStored]:
    """Write ``table``'s rows into the daily files of ``keys`` (one ``windows`` each), as
    :func:`store_day` does."""
    days = zip(keys, windows, split_by_windows(table, partition_column, windows), strict=True)
    return store_each(lake, asset, days, partition_column, keep_versions_by)


class NewRows(Protocol):
    """A day's fetched rows, still in temporary files (:class:`.pending_days.PendingDay`)."""

    rows: int

    def read(self) -> pa.Table: ...

    def pieces(self) -> Iterator[pa.Table] | None: ...


def store_each(
    lake: ParquetLake,
    asset: str,
    days: Iterable[tuple[str, Window, pa.Table | NewRows]],
    partition_column: str,
    keep_versions_by: str | None = None,
) -> list[DayStored]:
    """:func:`store_day` for each ``(key, window, rows)``, a few at a time. ``rows`` may be still
    in files (:class:`NewRows`): they are read in the writing thread, so only the few days being
    written are in memory."""

    def store(day: tuple[str, Window, pa.Table | NewRows]) -> DayStored:
        key, window, rows = day
        return store_day(lake, asset, key, window, rows, partition_column, keep_versions_by)

    return list(a_few_at_a_time(store, days, PARALLEL_WRITES))


def store_day(
    lake: ParquetLake,
    asset: str,
    key: str,
    window: Window,
    rows: pa.Table | NewRows,
    partition_column: str,
    keep_versions_by: str | None = None,
) -> DayStored:
    """Write ``rows`` as day ``key`` (whose window is ``window``).

    With ``keep_versions_by`` (an id column), the day keeps the rows of its previous file whose
    id the new rows lack or hold in an older ``partition_column`` version (see
    :func:`.duplicates.keep_newest`); without it, the day's file is replaced by its new rows.
    New rows still in files are written piece by piece when nothing is to be merged (no previous
    file to keep versions of, no id twice): the day is then never in memory whole.
    """
    with lake.lock(asset, key):
        stored = lake.read_partition(asset, key) if keep_versions_by is not None else None
        if not isinstance(rows, pa.Table):
            pieces = rows.pieces() if stored is None else None
            if pieces is not None:
                head: list[dict[str, Any]] = []
                lake.write_pieces(asset, key, _noting_first_rows(pieces, head))
                return DayStored(key, rows.rows, 0, head)
        table = rows if isinstance(rows, pa.Table) else rows.read()
        kept = 0
        if keep_versions_by is not None:
            table, kept = keep_newest(
                stored,
                table,
                keep_versions_by,
                partition_column,
                (window.start_ms, window.end_ms),
                f"{asset} partition {key}",
            )
        lake.write(asset, key, table)
    return DayStored(key, table.num_rows, kept, first_rows(table))


def _noting_first_rows(
    pieces: Iterable[pa.Table], head: list[dict[str, Any]]
) -> Iterator[pa.Table]:
    """``pieces`` unchanged, the preview's rows added to ``head`` on the way."""
    for piece in pieces:
        if len(head) < PREVIEW_ROWS:
            head += first_rows(piece)[: PREVIEW_ROWS - len(head)]
        yield piece
