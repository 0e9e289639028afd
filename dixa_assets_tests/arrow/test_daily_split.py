import pyarrow as pa
import pytest

from dixa_assets.arrow.daily_split import partition_slots, split_by_windows
from dixa_assets.exports_api import DAY_MS, Window

DAYS = [Window(i * DAY_MS, (i + 1) * DAY_MS) for i in range(3)]


def test_rows_go_to_their_day_with_exact_midnight_in_the_later_day():
    table = pa.table({"t": [DAY_MS, 0, DAY_MS - 1, 3 * DAY_MS - 1, 5], "n": [1, 2, 3, 4, 5]})
    parts = split_by_windows(table, "t", DAYS)
    assert [p.column("n").to_pylist() for p in parts] == [[2, 3, 5], [1], [4]]


def test_a_row_outside_every_window_is_refused():
    with pytest.raises(ValueError, match="outside the run's partitions"):
        partition_slots(pa.table({"t": [3 * DAY_MS]}), "t", DAYS)
    with pytest.raises(ValueError, match="outside"):
        partition_slots(pa.table({"t": [-1]}), "t", DAYS)


def test_a_row_without_the_column_value_is_refused():
    with pytest.raises(ValueError, match="have no t"):
        partition_slots(pa.table({"t": pa.array([None, 1], pa.int64())}), "t", DAYS)


def test_empty_table_gives_empty_days_with_schema():
    parts = split_by_windows(pa.table({"t": pa.array([], pa.int64())}), "t", DAYS)
    assert [p.num_rows for p in parts] == [0, 0, 0]
    assert all(p.schema.names == ["t"] for p in parts)
