"""One export window, fetched and turned into one Arrow table: the raw assets' data flow.

API -> records (decoded a run at a time) -> Arrow table per run -> one table for the window,
with at most one row per id. Kept free of Dagster so benchmarks and tests can run the exact path
the assets run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pyarrow as pa

from .duplicates import latest_per_id
from .exports_api import Export, ExportsClient, Window
from .records import records_to_table
from .schemas import TableSpec

Fetch = Callable[..., Export[pa.Table]]


@dataclass(frozen=True)
class Ingested:
    table: pa.Table
    edge_records: int  # on the 1 ms padding of a request: the neighbouring window's
    stray_records: int  # outside what was requested: an API anomaly, logged by the client
    duplicates_dropped: int  # older versions of ids that came twice


def ingest_window(
    client: ExportsClient, spec: TableSpec, fetch: Fetch, window: Window, where: str
) -> Ingested:
    """Fetch ``window`` in API-sized pieces and return its table of ``spec``.

    ``fetch(client, piece, convert=...)`` asks one endpoint for one piece; ``where`` names the
    partition in error messages.
    """
    to_table = partial(records_to_table, spec=spec, where=where)
    tables = [to_table([])]  # the schema, even for an empty window
    edges = strays = 0
    for _, answer in client.stream(client.pieces(window), partial(fetch, client, convert=to_table)):
        tables.extend(answer.parts)
        edges += answer.edge_records
        strays += len(answer.stray_ids)
    table, duplicates = latest_per_id(pa.concat_tables(tables), "id", spec.partition_field)
    return Ingested(table, edges, strays, duplicates)
