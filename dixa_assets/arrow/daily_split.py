"""Which daily partition each row belongs to: one vectorised pass, shared by writer and reporter."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa

from dixa_assets.exports_api import Window


def partition_slots(table: pa.Table, column: str, windows: Sequence[Window]) -> np.ndarray:
    """For each row, the index in ``windows`` of the half-open window holding its ``column``.

    ``windows`` must be sorted and not overlap (consecutive partitions). A row outside every
    window, or without a value, is a bug upstream: it raises rather than land in no partition.
    """
    values_column = table.column(column)
    if values_column.null_count:
        raise ValueError(f"{values_column.null_count} row(s) have no {column}: cannot partition")
    values = values_column.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    starts = np.fromiter((w.start_ms for w in windows), dtype=np.int64, count=len(windows))
    ends = np.fromiter((w.end_ms for w in windows), dtype=np.int64, count=len(windows))
    slots = np.searchsorted(starts, values, side="right") - 1
    inside = (slots >= 0) & (values < ends[np.clip(slots, 0, None)])
    if not inside.all():
        outside = values[~inside]
        raise ValueError(
            f"{len(outside)} row(s) have {column} outside the run's partitions, e.g. {outside[0]}"
        )
    return slots


def split_by_windows(table: pa.Table, column: str, windows: Sequence[Window]) -> Iterator[pa.Table]:
    """One table per window, holding its rows in their original order.

    Yields one window at a time, each a copy of only its own rows, so splitting a range holds
    the range once plus one day. A single window is the table itself, uncopied.
    """
    if len(windows) == 1:
        partition_slots(table, column, windows)  # every row inside, or raise
        yield table
        return
    present = rows_by_window(table, column, windows)
    following = next(present, None)
    for slot in range(len(windows)):
        if following is not None and following[0] == slot:
            yield following[1]
            following = next(present, None)
        else:
            yield table.slice(0, 0)


def rows_by_window(
    table: pa.Table, column: str, windows: Sequence[Window]
) -> Iterator[tuple[int, pa.Table]]:
    """``(index in windows, its rows in their original order)`` for each window holding rows."""
    slots = partition_slots(table, column, windows)
    if len(slots) and slots[0] == slots.min() == slots.max():
        yield int(slots[0]), table  # one day's rows: nothing to copy
        return
    order = np.argsort(slots, kind="stable")
    bounds = np.searchsorted(slots[order], np.arange(len(windows) + 1))
    for slot, (start, end) in enumerate(itertools.pairwise(bounds)):
        if end > start:
            yield slot, table.take(pa.array(order[start:end]))
