"""Slowly changing history (SCD type 2) of a dimension, one snapshot at a time.

The main API only tells what agents, teams, queues and tags are now. Each snapshot is compared
with the rows still valid: an unchanged row stays as it is, a changed row is closed
(`valid_to` = the snapshot's time) and its new version opened (`valid_from` = the same time), a
row missing from the snapshot is closed, a new one opened. So the history answers "what was true
at instant t" for any t from the first snapshot on; before it, only the first snapshot is known.
Dagster-free, plain rows: dimensions are small (hundreds to a few thousand rows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

Row = dict[str, Any]
VALID_FROM, VALID_TO, ROW_HASH = "valid_from", "valid_to", "row_hash"


def row_hash(row: Row, key: Sequence[str]) -> str:
    """A digest of the row's values (not its key or validity), to tell changed rows apart."""
    values = {k: v for k, v in row.items() if k not in (*key, VALID_FROM, VALID_TO, ROW_HASH)}
    return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def merge_snapshot(
    history: Sequence[Row], snapshot: Sequence[Row], key: Sequence[str], at_ms: int
) -> tuple[list[Row], dict[str, int]]:
    """The history after taking `snapshot` at `at_ms`, and counts of opened/closed/kept rows.

    Raises ValueError if `at_ms` is not after every `valid_from` already recorded (a history only
    moves forward) or the snapshot has the same key twice.
    """
    latest = max((row[VALID_FROM] for row in history), default=None)
    if latest is not None and at_ms <= latest:
        raise ValueError(f"a snapshot at {at_ms} is not after the last one ({latest})")
    incoming: dict[tuple[Any, ...], Row] = {}
    for row in snapshot:
        k = tuple(row[name] for name in key)
        if k in incoming:
            raise ValueError(f"the snapshot holds key {k} twice")
        incoming[k] = {**row, ROW_HASH: row_hash(row, key)}
    merged: list[Row] = []
    counts = {"opened": 0, "closed": 0, "kept": 0}
    for row in history:
        k = tuple(row[name] for name in key)
        if row[VALID_TO] is not None:
            merged.append(row)
            continue
        new = incoming.get(k)
        if new is not None and new[ROW_HASH] == row[ROW_HASH]:
            merged.append(row)
            del incoming[k]
            counts["kept"] += 1
        else:
            merged.append({**row, VALID_TO: at_ms})
            counts["closed"] += 1
    for row in incoming.values():
        merged.append({**row, VALID_FROM: at_ms, VALID_TO: None})
        counts["opened"] += 1
    return merged, counts
