"""The ``duckdb`` resource's way into the database: a connection under the warehouse's lock.

The lock and why it is needed are in :mod:`dixa_assets.warehouse.database`; every asset and
sensor of this project connects through :func:`locked_connection`, and every step writing the
database runs in the ``dixa_duckdb`` pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster_duckdb import DuckDBResource

from dixa_assets.warehouse.database import WRITE_LOCK_TIMEOUT_S, exclusive_lock, use_schema

DUCKDB_POOL = "dixa_duckdb"


@contextmanager
def locked_connection(
    duckdb_resource: DuckDBResource, timeout_s: float = WRITE_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the resource's database, alone: no other of our connections is open.

    Waits up to ``timeout_s`` for the lock, then raises
    :class:`~dixa_assets.warehouse.database.DatabaseBusy`. The connection is in the schema
    ``dixa`` of its database (:func:`~dixa_assets.warehouse.database.use_schema`).
    """
    with (
        exclusive_lock(duckdb_resource.database, timeout_s),
        duckdb_resource.get_connection() as con,
    ):
        try:
            use_schema(con)
            yield con
        finally:
            # The resource closes only on success; a failed write must free the file too.
            con.close()
