"""The dimension histories as tables of a DuckDB connection, for the activity-log tables' SQL."""

from __future__ import annotations

from duckdb import DuckDBPyConnection

from dixa_assets.arrow.schemas import empty_table
from dixa_assets.ingest.dimensions import DIMENSIONS, HISTORY
from dixa_assets.lake.parquet import ParquetLake

_DIMENSION = {d.name: d for d in DIMENSIONS}
VIEWS = {"dixa_agents": "agents", "dixa_teams": "teams", "dixa_queues": "queues"}


def register_history(con: DuckDBPyConnection, lake: ParquetLake) -> None:
    """The dimension histories as `agents_history`, `teams_history`, `queues_history` (empty
    tables of the declared schema before the first snapshot)."""
    for name, view in VIEWS.items():
        dimension = _DIMENSION[name]
        stored = HISTORY in lake.partitions(name)
        table = lake.read(name, [HISTORY]) if stored else empty_table(dimension.arrow_schema)
        con.register(f"{view}_history", table)
