import pyarrow as pa

from dixa_assets.arrow.spill import spill


def test_spilled_tables_read_back_whole_and_leave_no_file(tmp_path):
    schema = pa.schema([("id", pa.int64()), ("text", pa.string())])
    parts = [pa.table({"id": [i, i + 1], "text": ["a", "ø 😊"]}, schema=schema) for i in (0, 2, 4)]
    table = spill(iter(parts), schema, folder=str(tmp_path))
    assert table.column("id").to_pylist() == [0, 1, 2, 3, 4, 5]
    assert table.schema == schema
    assert list(tmp_path.iterdir()) == []


def test_nothing_to_spill_gives_an_empty_table_of_the_schema(tmp_path):
    schema = pa.schema([("id", pa.int64())])
    assert spill(iter([]), schema, folder=str(tmp_path)).num_rows == 0
