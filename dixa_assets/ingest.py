"""An export window fetched and cut into its days, each handed over as soon as it is complete.

API -> records (decoded a run at a time) -> Arrow table per run -> the piece's table -> its
days. A day is complete once every piece covering it has arrived (pieces come in order), so a
range's days are released window by window: a run that fails part-way has already handed over
every day before the failing window. Kept free of Dagster so benchmarks and tests run the exact
path the assets run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import pyarrow as pa

from .daily_split import split_by_windows
from .duplicates import latest_per_id
from .exports_api import ExportsClient, Piece, Window
from .records import records_to_table
from .schemas import TableSpec

Fetch = Callable[..., Iterator[Piece[pa.Table]]]


@dataclass(frozen=True)
class Ingested:
    """A whole window at once, for callers that need it so (the reconciliation)."""

    table: pa.Table  # one row per id: the newest version
    edge_records: int
    stray_records: int
    duplicates_dropped: int


def ingest_window(
    client: ExportsClient, spec: TableSpec, fetch: Fetch, window: Window, where: str
) -> Ingested:
    """Every piece of ``window`` in one table of ``spec``, at most one row per id."""
    to_table = partial(records_to_table, spec=spec, where=where)
    parts, edges, strays = [to_table([])], 0, 0
    for piece in fetch(client, window, convert=to_table):
        parts.extend(piece.parts)
        edges += piece.edge_records
        strays += len(piece.stray_ids)
    table, duplicates = latest_per_id(pa.concat_tables(parts), "id", spec.partition_field)
    return Ingested(table, edges, strays, duplicates)


@dataclass(frozen=True)
class Day:
    key: str
    table: pa.Table


class DayStream:
    """Iterate to fetch ``days`` (consecutive ``(key, window)``) and get, after each piece, the
    list of :class:`Day` it completed (often none for a piece shorter than a day).

    ``fetch(client, window, convert=...)`` asks one endpoint for the whole range piece by piece;
    ``where`` names the partition range in error messages. Memory holds one piece and the rows
    of the days it left incomplete. The counts grow as pieces arrive.
    """

    def __init__(
        self,
        client: ExportsClient,
        spec: TableSpec,
        fetch: Fetch,
        days: Sequence[tuple[str, Window]],
        where: str,
    ) -> None:
        self._client = client
        self._spec = spec
        self._fetch = fetch
        self._days = list(days)
        self._where = where
        self.window = Window(self._days[0][1].start_ms, self._days[-1][1].end_ms)
        self.edge_records = 0  # on the 1 ms padding of a request: the neighbouring window's
        self.stray_records = 0  # outside what was requested: an API anomaly, logged by the client
        self.duplicates_dropped = 0  # older versions of ids that came twice for one day
        # The range is complete up to here: its end, or the server's clock when it answered for
        # a window that reaches past it (today's partial day).
        self.complete_until_ms = self.window.end_ms

    def __iter__(self) -> Iterator[list[Day]]:
        to_table = partial(records_to_table, spec=self._spec, where=self._where)
        column = self._spec.partition_field
        held = to_table([])  # rows of days not complete yet; the schema even when empty
        next_day = 0
        for piece in self._fetch(self._client, self.window, convert=to_table):
            assert piece.window is not None
            unfinished = piece.served_at_ms < piece.window.end_ms
            if unfinished and self.complete_until_ms == self.window.end_ms:
                self.complete_until_ms = max(piece.window.start_ms, piece.served_at_ms)
            self.edge_records += piece.edge_records
            self.stray_records += len(piece.stray_ids)
            rows = pa.concat_tables([held, *piece.parts])
            done = next_day
            while done < len(self._days) and self._days[done][1].end_ms <= piece.window.end_ms:
                done += 1
            complete = [window for _, window in self._days[next_day:done]]
            rest = []
            if done < len(self._days):
                rest = [Window(self._days[done][1].start_ms, self.window.end_ms)]
            tables = list(split_by_windows(rows, column, complete + rest))
            keys = [key for key, _ in self._days[next_day:done]]
            yield [Day(key, self._latest(table)) for key, table in zip(keys, tables, strict=False)]
            held = tables[-1] if rest else rows.slice(0, 0)
            next_day = done
        if next_day < len(self._days):
            raise RuntimeError(
                f"{self._where}: the pieces ended before day {self._days[next_day][0]}"
            )

    def _latest(self, table: pa.Table) -> pa.Table:
        """One row per id: a day's rows can come from two requests."""
        table, dropped = latest_per_id(table, "id", self._spec.partition_field)
        self.duplicates_dropped += dropped
        return table
