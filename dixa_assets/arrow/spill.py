"""Tables of a long range kept on local disk, memory-mapped, instead of in memory.

A single-run backfill of a year fetches a dozen 31-day windows. Held in memory, their tables add
up to the whole year; written one by one to an Arrow IPC file and mapped back, they cost only
page cache, which the kernel can drop and reread. The file is unlinked as soon as it is mapped,
so nothing is left behind even if the process is killed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

import pyarrow as pa


def spill(tables: Iterable[pa.Table], schema: pa.Schema, folder: str | None = None) -> pa.Table:
    """One table whose buffers live in a memory-mapped temporary file, written table by table."""
    handle, path = tempfile.mkstemp(prefix="dixa-spill-", suffix=".arrow", dir=folder)
    os.close(handle)
    try:
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for table in tables:
                writer.write_table(table)
        return pa.ipc.open_file(pa.memory_map(path)).read_all()
    finally:
        os.unlink(path)  # the mapping keeps the data readable until the table is released
