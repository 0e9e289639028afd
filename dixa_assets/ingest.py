"""One export window, fetched and turned into one Arrow table: the raw assets' data flow.

API -> records (decoded a run at a time) -> Arrow table per run -> one table for the window,
with at most one row per id. Kept free of Dagster so benchmarks and tests can run the exact path
the assets run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pyarrow as pa

from .duplicates import latest_per_id
from .exports_api import Export, ExportsClient, Window
from .records import records_to_table
from .schemas import TableSpec
from .spill import spill

Fetch = Callable[..., Export[pa.Table]]


@dataclass(frozen=True)
class Ingested:
    table: pa.Table
    edge_records: int  # on the 1 ms padding of a request: the neighbouring window's
    stray_records: int  # outside what was requested: an API anomaly, logged by the client
    duplicates_dropped: int  # older versions of ids that came twice
    # The window is complete up to here: its end, or the server's clock when it answered for a
    # window that reaches past it (today's partial day).
    complete_until_ms: int


def ingest_window(
    client: ExportsClient, spec: TableSpec, fetch: Fetch, window: Window, where: str
) -> Ingested:
    """Fetch ``window`` in API-sized pieces and return its table of ``spec``.

    ``fetch(client, piece, convert=...)`` asks one endpoint for one piece; ``where`` names the
    partition in error messages. Memory holds one piece at a time: a range of several pieces is
    returned memory-mapped from local disk (see :mod:`.spill`).
    """
    to_table = partial(records_to_table, spec=spec, where=where)
    pieces = client.pieces(window)
    counts = {"edges": 0, "strays": 0, "complete_until": window.end_ms}

    def tables() -> Iterator[pa.Table]:
        yield to_table([])  # the schema, even for an empty window
        for piece, answer in client.stream(pieces, partial(fetch, client, convert=to_table)):
            counts["edges"] += answer.edge_records
            counts["strays"] += len(answer.stray_ids)
            if answer.served_at_ms < piece.end_ms and counts["complete_until"] == window.end_ms:
                counts["complete_until"] = max(piece.start_ms, answer.served_at_ms)
            yield from answer.parts

    # One request's table is bounded by the API's window; a longer range goes to disk.
    whole = spill(tables(), spec.arrow_schema) if len(pieces) > 1 else pa.concat_tables(tables())
    table, duplicates = latest_per_id(whole, "id", spec.partition_field)
    return Ingested(table, counts["edges"], counts["strays"], duplicates, counts["complete_until"])
