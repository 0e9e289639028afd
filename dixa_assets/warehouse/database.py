"""The one way into the DuckDB database: connections made under an exclusive file lock.

DuckDB allows one writing process per database file, and a second process that opens the file
fails at once ("Could not set lock on file") instead of waiting. Within one process, connections
share the database and concurrent transactions that replace the same rows fail with a write-write
conflict. The ``dixa_duckdb`` pool keeps Dagster from running two writing steps at once, but pools
are not enforced everywhere (in-process runs, a second deployment, a sensor reading the tables).
So every access of this project connects inside :func:`exclusive_lock`, which waits for an
exclusive lock (``filelock``: an ``flock`` on POSIX) on a sibling ``.lock`` file, and closes the
connection before releasing it: writers queue instead of failing, in one process or many. Other
programs that open the database (a BI tool, the DuckDB CLI) do not take our lock; the ``duckdb``
resource's own connect retries, and the assets' retry policy, absorb those.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock, Timeout

SCHEMA = "dixa"
WRITE_LOCK_TIMEOUT_S = 1800.0


class DatabaseBusy(TimeoutError):
    """The database stayed locked by another writer for longer than we were willing to wait."""


def lock_path(database: str) -> Path:
    """The lock file that serializes this project's access to ``database``."""
    return Path(f"{database}.lock")


@contextmanager
def exclusive_lock(database: str, timeout_s: float = WRITE_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the database's lock: no other of our connections is open meanwhile. Waits up to
    ``timeout_s``, then raises :class:`DatabaseBusy`. Connect inside it (and close before it
    ends), or do work that needs no connection open, such as replacing the database file."""
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


def use_schema(con: duckdb.DuckDBPyConnection, create: bool = True) -> None:
    """Make ``<catalog>.dixa`` the connection's schema, creating it if needed: the project's SQL
    names its tables without a schema, so they resolve there whatever the file is called.

    DuckDB names a database's catalog after its file (``dixa.duckdb``: catalog ``dixa``), and a
    two-part ``dixa.conversations`` is then ambiguous between catalog and schema; qualified by
    catalog, ``dixa.dixa.conversations`` is not, and neither is a name resolved by ``USE``.
    """
    catalog = _quoted(con.execute("SELECT current_database()").fetchall()[0][0])
    if create:  # not on a read-only connection
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.{SCHEMA}")
    con.execute(f"USE {catalog}.{SCHEMA}")


def catalog_name(database: str) -> str:
    """The catalog DuckDB gives a database file: its name up to the first dot."""
    return Path(database).name.split(".")[0]


def qualified_name(database: str, table: str) -> str:
    """``<catalog>.dixa.<table>``: how any DuckDB client names the table unambiguously."""
    return f"{catalog_name(database)}.{SCHEMA}.{table}"


def column_names(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of ``table`` in the connection's schema, in order (none if it does not exist)."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = $t ORDER BY column_index",
        {"t": table},
    ).fetchall()
    return [row[0] for row in rows]


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@contextmanager
def _exclusive_lock(path: Path, timeout_s: float) -> Iterator[None]:
    lock = FileLock(str(path), timeout=timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseBusy(
            f"{path} stayed locked by another writer for {timeout_s:.0f} s"
        ) from None
    try:
        yield
    finally:
        lock.release()
