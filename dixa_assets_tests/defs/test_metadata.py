"""What the UI shows of a table: the preview's rows are the table's, zoned times included."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pyarrow as pa

from dixa_assets.defs.metadata import PREVIEW_ROWS, first_rows, preview

STAMPS = [0, 1_741_000_000_123, None, 1_711_846_800_000]  # the last: a DST change in Copenhagen


def a_table(rows: int = 4) -> pa.Table:
    millis = (STAMPS * rows)[:rows]
    return pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "at_utc": pa.array(millis, pa.timestamp("ms", tz="UTC")),
            "at_cph": pa.array(millis, pa.timestamp("ms", tz="Europe/Copenhagen")),
            "naive": pa.array(millis, pa.timestamp("ms")),
            "tags": pa.array([["a"]] * rows, pa.list_(pa.string())),
        }
    )


def test_first_rows_are_the_tables_first_rows_as_python_values():
    table = a_table(25)
    head = first_rows(table)
    assert head == table.slice(0, PREVIEW_ROWS).to_pylist()  # equal instants, equal values
    assert head[1]["at_utc"] == datetime(2025, 3, 3, 11, 6, 40, 123000, tzinfo=UTC)
    assert str(head[1]["at_cph"]) == "2025-03-03 12:06:40.123000+01:00"
    assert str(head[3]["at_cph"]) == "2024-03-31 03:00:00+02:00"
    assert head[2]["at_utc"] is None and head[0]["tags"] == ["a"]


def test_the_preview_shows_the_first_rows():
    text = preview(first_rows(a_table()), ["id", "at_cph"]).value
    assert text.splitlines()[2] == "| 0 | 1970-01-01 01:00:00+01:00 |"
    assert len(text.splitlines()) == 2 + 4


def test_first_rows_do_not_import_pandas(tmp_path):
    # pyarrow imports pandas (0.2 s, 50 MiB) to make zoned datetimes; a raw asset's run has no
    # other use for it. The table is read from a file: making it from lists would import pandas.
    table = a_table()
    path = tmp_path / "t.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
        out.write_table(table)
    script = textwrap.dedent(
        f"""
        import sys
        import pyarrow as pa
        from dixa_assets.defs.metadata import first_rows
        table = pa.ipc.open_file(pa.memory_map({str(path)!r})).read_all()
        assert "pandas" not in sys.modules
        first_rows(table)
        print("pandas" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"
