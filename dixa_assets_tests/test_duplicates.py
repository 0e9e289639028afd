import pyarrow as pa

from dixa_assets.duplicates import latest_per_id


def test_the_latest_version_of_each_id_is_kept_in_arrival_order():
    table = pa.table(
        {
            "id": [3, 1, 3, 2, 1],
            "updated_at": [10, 5, 30, 7, 5],
            "v": ["old", "first", "new", "only", "repeat"],
        }
    )
    kept, dropped = latest_per_id(table, "id", "updated_at")
    assert dropped == 2
    assert kept.to_pydict() == {
        "id": [3, 2, 1],
        "updated_at": [30, 7, 5],
        "v": ["new", "only", "repeat"],
    }


def test_unique_ids_are_returned_untouched():
    table = pa.table({"id": ["a", "b"], "created_at": [1, 2]})
    kept, dropped = latest_per_id(table, "id", "created_at")
    assert kept is table and dropped == 0
