"""The floor: one saved export response decoded and written as Parquet, no HTTP, no Dagster.

``run_benchmarks.py`` runs this once per (body, method) in a fresh process, so each method's peak
RSS is its own, and keeps the fastest method per endpoint as the floor: what this machine allows
for turning those bytes into a Parquet file at all. The floor infers its own schema and keeps
every field, but applies none of our schema's fixes (typed nested items, ``*_ts`` columns, lossless
float timestamps, ``extra_fields``, the exact-window filter): it is a lower bound on the work, not
an equivalent of it.

Methods:

* ``orjson-arrow``: ``orjson.loads`` the bytes, then ``pa.array(records)`` infers one struct type
  over all records in C++. Where the inference fails (``tags_info`` mixes strings and objects in
  the reference's data), the failing columns alone are kept as JSON text.
* ``duckdb``: ``read_json(format='array')`` over the whole file (``sample_size=-1`` so the type of
  every field is inferred from every record) into ``COPY ... TO parquet``; DuckDB uses every core.

Both write zstd-compressed Parquet, as our lake does. Prints one JSON line: ``{"method", "rows",
"seconds"}``; the clock starts before the file is read and stops once the Parquet file is closed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq


def _column(values: list[object]) -> pa.Array:
    """One column inferred by pyarrow, or as JSON text if its values have no common type."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else orjson.dumps(v).decode() for v in values])


def _records_table(records: list[dict[str, object]]) -> pa.Table:
    """All records' fields as one table: a struct inference first, per column if that fails."""
    try:
        return pa.Table.from_struct_array(pa.array(records))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        names = dict.fromkeys(name for record in records for name in record)
        return pa.table({name: _column([r.get(name) for r in records]) for name in names})


def orjson_arrow(source: Path, target: Path) -> int:
    """orjson decode, pyarrow inference, Parquet write; returns the rows written."""
    records = orjson.loads(source.read_bytes())
    table = _records_table(records)
    pq.write_table(table, target, compression="zstd")
    return table.num_rows


def duckdb_copy(source: Path, target: Path) -> int:
    """DuckDB's JSON reader straight into a Parquet COPY; returns the rows written."""
    with duckdb.connect() as connection:
        relation = connection.execute(
            "COPY (SELECT * FROM read_json(?, format = 'array', sample_size = -1)) "
            "TO ? (FORMAT parquet, COMPRESSION zstd)",
            [str(source), str(target)],
        )
        (rows,) = relation.fetchone() or (0,)
    return int(rows)


METHODS: dict[str, Callable[[Path, Path], int]] = {
    "orjson-arrow": orjson_arrow,
    "duckdb": duckdb_copy,
}


def main(argv: list[str] | None = None) -> int:
    """Convert one body with one method; print the result line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=sorted(METHODS), required=True)
    parser.add_argument("--input", type=Path, required=True, help="a saved JSON array body")
    parser.add_argument("--output", type=Path, required=True, help="the Parquet file to write")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = METHODS[args.method](args.input, args.output)
    seconds = time.perf_counter() - started
    print(json.dumps({"method": args.method, "rows": rows, "seconds": round(seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
