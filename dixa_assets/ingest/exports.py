"""An export window fetched and cut into its days, each handed over as soon as it is complete.

API -> records (decoded a batch at a time) -> Arrow table per batch -> its rows per day, appended
to the day's temporary file (:mod:`.pending_days`) -> days. A day is complete once every piece
covering it has arrived (pieces come in order), so a range's days are released window by
window: a run that fails part-way has already handed over every day before the failing window.
Kept free of Dagster so benchmarks and tests run the exact
path the assets run.
"""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from dixa_assets.arrow.duplicates import latest_per_id
from dixa_assets.arrow.records import records_to_table
from dixa_assets.arrow.schemas import TableSpec
from dixa_assets.exports_api import ExportsClient, Piece, Window, batches
from dixa_assets.ingest.pending_days import DayWriters, PendingDay, Spilled

# fetch(client, window, sink=...): one endpoint's pieces of the window
Fetch = Callable[..., Iterator[Piece[Any]]]


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
    for piece in fetch(client, window, sink=batches(to_table)):
        parts.extend(piece.content)
        edges += piece.edge_records
        strays += len(piece.stray_ids)
    table, duplicates = latest_per_id(pa.concat_tables(parts), "id", spec.partition_field)
    return Ingested(table, edges, strays, duplicates)


class DayStream:
    """Iterate to fetch ``days`` (consecutive ``(key, window)``) and get, after each piece, the
    list of :class:`.PendingDay` it completed (often none for a piece shorter than a day).

    ``fetch(client, window, sink=...)`` asks one endpoint for the whole range piece by piece;
    ``where`` names the partition range in error messages; ``scratch`` is the folder for the
    days' temporary files (see :mod:`.pending_days`), gone once iteration ends. Memory holds a
    batch of records per request in flight, not the pieces. The counts grow as pieces arrive.
    """

    def __init__(
        self,
        client: ExportsClient,
        spec: TableSpec,
        fetch: Fetch,
        days: Sequence[tuple[str, Window]],
        where: str,
        scratch: Path | None = None,
    ) -> None:
        self._client = client
        self._spec = spec
        self._fetch = fetch
        self._days = list(days)
        self._where = where
        self._scratch = scratch
        self.window = Window(self._days[0][1].start_ms, self._days[-1][1].end_ms)
        self.edge_records = 0  # on the 1 ms padding of a request: the neighbouring window's
        self.stray_records = 0  # outside what was requested: an API anomaly, logged by the client
        self.unknown_fields = Counter[str]()  # records per field the reference does not list
        # The range is complete up to here: its end, or the server's clock when it answered for
        # a window that reaches past it (today's partial day).
        self.complete_until_ms = self.window.end_ms

    def __iter__(self) -> Iterator[list[PendingDay]]:
        next_day = 0
        with tempfile.TemporaryDirectory(prefix=".incoming-", dir=self._scratch) as folder:
            sink = partial(DayWriters, Path(folder), self._spec, self._days, self._where)
            # Closed before the folder goes, so that requests in flight stop writing into it.
            with closing(self._fetch(self._client, self.window, sink=sink)) as pieces:
                for completed in self._days_completed(pieces):
                    yield [PendingDay(key, files, self._spec) for key, files in completed]
                    next_day += len(completed)
        if next_day < len(self._days):
            raise RuntimeError(
                f"{self._where}: the pieces ended before day {self._days[next_day][0]}"
            )

    def _days_completed(
        self, pieces: Iterator[Piece[Spilled]]
    ) -> Iterator[list[tuple[str, list[Path]]]]:
        """After each piece, the days it completed, each with its files (one per piece)."""
        files: dict[str, list[Path]] = defaultdict(list)
        next_day = 0
        for piece in pieces:
            assert piece.window is not None
            unfinished = piece.served_at_ms < piece.window.end_ms
            if unfinished and self.complete_until_ms == self.window.end_ms:
                self.complete_until_ms = max(piece.window.start_ms, piece.served_at_ms)
            self.edge_records += piece.edge_records
            self.stray_records += len(piece.stray_ids)
            self.unknown_fields.update(piece.content.unknown_fields)
            for key, paths in piece.content.files.items():
                files[key].extend(paths)
            done = next_day
            while done < len(self._days) and self._days[done][1].end_ms <= piece.window.end_ms:
                done += 1
            if done == len(self._days):
                # Every answer is in: the workers' memory is not needed to write the last days.
                self._client.release_decoding_workers()
            yield [(key, files.pop(key, [])) for key, _ in self._days[next_day:done]]
            next_day = done
