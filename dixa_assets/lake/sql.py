"""DuckDB reading the Parquet lake, wherever it lives.

A local lake needs nothing: DuckDB reads the files itself. For an ``s3://`` lake DuckDB would
normally load its ``httpfs`` extension, which it downloads from the internet at first use; an
extension loads only into the DuckDB version it was built for, and no httpfs for DuckDB 2.0 is on
PyPI to install ahead of time (``duckdb-extension-httpfs`` stops at 1.5). So the lake's own fsspec
filesystem (s3fs, configured as in :mod:`dixa_assets.lake.root`) is registered on the connection
instead: DuckDB then reads ``s3://`` paths through it, with the same credentials and endpoint as
the lake's writes, and needs no extension.

Usage::

    with duckdb.connect(path) as con:
        files = lake_glob(con, settings.data_dir, "dixa_messages")
        con.execute("SELECT count(*) FROM read_parquet($files)", {"files": files})

or, for explicit file lists (``str(ParquetLake.path(...))``), call :func:`attach_lake` first.
``root`` is what ``DIXA_DATA_DIR`` holds, or ``ParquetLake.root``.
"""

from __future__ import annotations

import os

import duckdb

from dixa_assets.lake.root import is_local, lake_root


def attach_lake(connection: duckdb.DuckDBPyConnection, root: str | os.PathLike[str]) -> None:
    """Make the lake's files readable by ``read_parquet`` on ``connection``.

    The filesystem is registered on the connection's database (its cursors share it). Calling
    again is harmless: a filesystem already registered for the scheme is kept, since DuckDB
    refuses a second one and one still in use by a query must not be swapped out.
    """
    path = lake_root(root)
    if is_local(path):
        return
    fs = path.fs
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if protocol not in connection.list_filesystems():
        connection.register_filesystem(fs)


def lake_glob(
    connection: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], asset: str
) -> str:
    """The ``read_parquet`` glob of every stored partition of ``asset``, readable on
    ``connection`` (see :func:`attach_lake`). Pass it as a parameter, not spliced into SQL.

    The lake's hidden temporary files do not match it. DuckDB fails on a glob that matches no
    file, so check ``ParquetLake.partitions(asset)`` first where the asset may be empty.
    """
    attach_lake(connection, root)
    return str(lake_root(root) / asset / "*.parquet")
