"""The naive floor, as a whole process: what a few lines of plain Python do with one export.

``urllib`` GET of the window (the exact query our client sends, Bearer header), ``json.loads``,
``pyarrow.Table.from_pylist`` and a zstd Parquet write: what an engineer writing it by hand
would start from. ``run_benchmarks.py`` times this script's whole process (interpreter start-up
and imports included), as it times ``dagster asset materialize`` and the peers' whole runs.
Like ``floor.py`` it applies none of our schema's fixes; where ``from_pylist`` cannot infer one
type for a column (the reference's ``tags_info`` mixes strings and objects), that column alone
is kept as JSON text, which is what such a script would have to do to finish at all.

    python benchmarks/naive_floor.py URL TOKEN OUTPUT.parquet
"""

import json
import sys
import urllib.request

import pyarrow as pa
import pyarrow.parquet as pq


def table_of(records: list[dict]) -> pa.Table:
    """``from_pylist``, or per column with the columns it cannot type kept as JSON text."""
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        names = dict.fromkeys(name for record in records for name in record)
        columns = {}
        for name in names:
            values = [record.get(name) for record in records]
            try:
                columns[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                columns[name] = pa.array([None if v is None else json.dumps(v) for v in values])
        return pa.table(columns)


def main() -> int:
    """GET, decode, convert, write; print the rows."""
    url, token, output = sys.argv[1:4]
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        records = json.loads(response.read())
    table = table_of(records)
    pq.write_table(table, output, compression="zstd")
    print(json.dumps({"rows": table.num_rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
