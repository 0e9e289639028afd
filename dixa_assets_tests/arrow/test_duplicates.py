import pyarrow as pa
import pytest

from dixa_assets.arrow.duplicates import keep_newest, latest_per_id


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


def _versions(rows: list[tuple[int, int, str]]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([r[0] for r in rows], pa.int64()),
            "updated_at": pa.array([r[1] for r in rows], pa.int64()),
            "status": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def test_a_day_keeps_the_versions_a_new_fetch_no_longer_returns():
    stored = _versions([(1, 10, "open"), (2, 20, "open"), (3, 30, "closed")])
    # 1 came back changed within the day, 2 moved to a later day, 4 is new; 3 came back as is.
    fetched = _versions([(1, 15, "closed"), (3, 30, "closed"), (4, 40, "open")])
    merged, kept = keep_newest(stored, fetched, "id", "updated_at", (0, 100), "day")
    assert sorted(merged.to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "updated_at": 15, "status": "closed"},
        {"id": 2, "updated_at": 20, "status": "open"},
        {"id": 3, "updated_at": 30, "status": "closed"},
        {"id": 4, "updated_at": 40, "status": "open"},
    ]
    assert kept == 1


def test_an_older_fetch_never_replaces_a_newer_stored_version_and_ties_take_the_fetch():
    stored = _versions([(1, 50, "closed"), (2, 20, "stored")])
    fetched = _versions([(1, 40, "open"), (2, 20, "fetched")])  # a slower run, written last
    merged, _ = keep_newest(stored, fetched, "id", "updated_at", (0, 100), "day")
    assert {r["id"]: (r["updated_at"], r["status"]) for r in merged.to_pylist()} == {
        1: (50, "closed"),
        2: (20, "fetched"),
    }


def test_stored_rows_of_another_timezone_fail_instead_of_being_lost_or_misplaced():
    stored = _versions([(1, 150, "open")])
    where = "dixa_conversations partition 2025-03-01"
    with pytest.raises(ValueError, match=rf"{where}: .*Was DIXA_TIMEZONE changed"):
        keep_newest(stored, _versions([]), "id", "updated_at", (0, 100), where)


def test_a_column_added_since_the_day_was_stored_is_null_in_its_kept_rows():
    stored = _versions([(2, 20, "open")]).drop_columns(["status"])
    merged, kept = keep_newest(stored, _versions([(1, 10, "x")]), "id", "updated_at", (0, 100), "d")
    assert kept == 1 and merged.schema.names == _versions([]).schema.names
    assert {r["id"]: r["status"] for r in merged.to_pylist()} == {1: "x", 2: None}
