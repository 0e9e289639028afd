"""The one way into the DuckDB database: a connection held under an exclusive file lock.

DuckDB allows one writing process per database file, and a second process that opens the file
fails at once ("Could not set lock on file") instead of waiting. Within one process, connections
share the database and concurrent transactions that replace the same rows fail with a write-write
conflict. The ``dixa_duckdb`` pool keeps Dagster from running two writing steps at once, but pools
are not enforced everywhere (in-process runs, a second deployment, a sensor reading the tables).
So every access of this project goes through :func:`locked_connection`, which waits for an
exclusive ``flock`` on a sibling ``.lock`` file before connecting and releases it only after the
connection is closed: writers queue instead of failing, in one process or many. Other programs
that open the database (a BI tool, the DuckDB CLI) do not take our lock; the resource's own
connect retries, and the assets' retry policy, absorb those.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from dagster_duckdb import DuckDBResource

SCHEMA = "dixa"
DUCKDB_POOL = "dixa_duckdb"
WRITE_LOCK_TIMEOUT_S = 1800.0
_POLL_FIRST_S = 0.02
_POLL_MAX_S = 0.5


class DatabaseBusy(TimeoutError):
    """The database stayed locked by another writer for longer than we were willing to wait."""


def lock_path(database: str) -> Path:
    """The lock file that serializes this project's access to ``database``."""
    return Path(f"{database}.lock")


@contextmanager
def locked_connection(
    duckdb_resource: DuckDBResource, timeout_s: float = WRITE_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the resource's database, alone: no other of our connections is open.

    Waits up to ``timeout_s`` for the lock, then raises :class:`DatabaseBusy`. The schema
    ``dixa`` exists on the connection handed out.
    """
    database = duckdb_resource.database
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(lock_path(database), timeout_s), duckdb_resource.get_connection() as con:
        try:
            _refuse_ambiguous_catalog(con, database)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            yield con
        finally:
            # The resource closes only on success; a failed write must free the file too.
            con.close()


@contextmanager
def exclusive_lock(database: str, timeout_s: float = WRITE_LOCK_TIMEOUT_S) -> Iterator[None]:
    """The same lock as :func:`locked_connection`, without a connection: for work that must
    happen while no connection is open, such as replacing the database file."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(lock_path(database), timeout_s):
        yield


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of ``sql`` as dicts keyed by column name."""
    result = con.execute(sql, params or {})
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _refuse_ambiguous_catalog(con: duckdb.DuckDBPyConnection, database: str) -> None:
    """DuckDB names a database after its file: in ``dixa.duckdb``, ``dixa.conversations`` could be
    catalog ``dixa`` or schema ``dixa`` and DuckDB refuses (or picks the wrong one). Say so."""
    catalog = con.execute("SELECT current_database()").fetchone()
    if catalog and catalog[0] == SCHEMA:
        raise ValueError(
            f"DIXA_DUCKDB_PATH={database}: a database file named {SCHEMA}.duckdb makes the "
            f"tables' names ({SCHEMA}.<table>) ambiguous in DuckDB; choose another file name, "
            "e.g. warehouse.duckdb"
        )


@contextmanager
def _exclusive_lock(path: Path, timeout_s: float) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        delay = _POLL_FIRST_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"{path} stayed locked by another writer for {timeout_s:.0f} s"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, _POLL_MAX_S)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
