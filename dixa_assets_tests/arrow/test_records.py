import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixa_assets.arrow.records import MalformedRecordError, records_to_table
from dixa_assets.arrow.schemas import CONVERSATIONS, MESSAGES

WHERE = "dixa_conversations partition 2025-01-01"


def conversation(**fields):
    base = {"id": 1, "created_at": 1_700_000_000_000, "initial_channel": "email"}
    return {**base, "requester_id": "4a3c", **fields}


def one_row(records, spec=CONVERSATIONS):
    return records_to_table(records, spec, WHERE).to_pylist()[0]


def test_float_timestamps_become_exact_int64_and_utc_timestamps():
    row = one_row([conversation(updated_at=1.7000000001e12, closed_at=1700000000123.0)])
    assert row["updated_at"] == 1_700_000_000_100
    assert row["closed_at"] == 1_700_000_000_123
    assert row["closed_at_ts"].isoformat() == "2023-11-14T22:13:20.123000+00:00"


def test_fractional_timestamp_is_an_error_naming_field_record_and_partition():
    with pytest.raises(MalformedRecordError) as err:
        records_to_table([conversation(id=7, closed_at=1.5)], CONVERSATIONS, WHERE)
    assert "'closed_at'" in str(err.value) and "id=7" in str(err.value) and WHERE in str(err.value)


def test_required_field_missing_is_an_error():
    record = conversation()
    del record["requester_id"]
    with pytest.raises(MalformedRecordError, match=r"requester_id.*required"):
        records_to_table([record], CONVERSATIONS, WHERE)


def test_both_tags_info_shapes_are_kept():
    row = one_row([conversation(tags_info=["vip", {"id": "t1", "name": "refund", "x": 1}])])
    assert row["tags_info"][0]["text"] == "vip"
    assert row["tags_info"][1]["name"] == "refund"
    assert orjson.loads(row["tags_info"][1]["extra"]) == {"x": 1}


def test_custom_field_values_string_or_array_and_unknown_keys():
    fields = [
        {"attribute_id": "a", "identifier": "order", "value": "123", "archived": False},
        {"attribute_id": "b", "value": ["x", "y"], "data_type": "multi", "new_key": True},
        {"attribute_id": "c", "value": 4.5},
    ]
    row = one_row([conversation(custom_fields=fields)])
    assert [cf["value"] for cf in row["custom_fields"]] == ["123", None, "4.5"]
    assert row["custom_fields"][1]["values"] == ["x", "y"]
    assert orjson.loads(row["custom_fields"][1]["extra"]) == {"new_key": True}


def test_ratings_keep_every_key():
    rating = {"rating_score": 5, "rating_rated_timestamp": 1.7e12, "rating_type": "csat", "z": 1}
    row = one_row([conversation(ratings=[rating])])
    assert row["ratings"][0]["rating_rated_timestamp"] == 1_700_000_000_000
    assert orjson.loads(row["ratings"][0]["extra"]) == {"z": 1}


def test_unknown_top_level_fields_are_kept_as_json():
    row = one_row([conversation(ai_summary={"text": "hi"}, sentiment=0.4)])
    assert orjson.loads(row["extra_fields"]) == {"ai_summary": {"text": "hi"}, "sentiment": 0.4}


def test_string_ids_and_non_string_values_are_kept_losslessly():
    row = one_row([conversation(id="42", queue_id=17, tags=["a", None, 3])])
    assert row["id"] == 42 and row["queue_id"] == "17" and row["tags"] == ["a", None, "3"]


def test_form_submission_is_json_text():
    message = {"id": "m1", "csid": 1, "created_at": 5, "form_submission": {"name": "Å", "n": [1]}}
    row = one_row([message], MESSAGES)
    assert orjson.loads(row["form_submission"]) == {"name": "Å", "n": [1]}


def test_empty_export_has_the_full_schema():
    table = records_to_table([], MESSAGES, WHERE)
    assert table.num_rows == 0 and table.schema == MESSAGES.arrow_schema


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from([f.name for f in CONVERSATIONS.fields]),
    value=json_values
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False),
)
def test_any_json_value_in_any_field_is_stored_or_named(field, value):
    """Hostile input never crashes deep inside pyarrow: it is stored, or the error names it."""
    record = conversation(**{field: value})
    try:
        table = records_to_table([record], CONVERSATIONS, WHERE)
    except MalformedRecordError as err:
        assert err.field == field
        assert WHERE in str(err)
    else:
        assert isinstance(table, pa.Table) and table.num_rows == 1


def test_a_string_where_an_array_belongs_is_named_not_split_into_characters():
    with pytest.raises(MalformedRecordError, match=r"'tags'.*expected an array"):
        records_to_table([conversation(tags="vip")], CONVERSATIONS, WHERE)


def test_a_boolean_where_a_number_belongs_is_named_not_stored_as_one():
    with pytest.raises(MalformedRecordError, match=r"'linked_to'.*boolean"):
        records_to_table([conversation(linked_to=True)], CONVERSATIONS, WHERE)


def test_a_number_beyond_64_bits_is_named():
    with pytest.raises(MalformedRecordError, match=r"'linked_to'.*64-bit"):
        records_to_table([conversation(linked_to=2**70)], CONVERSATIONS, WHERE)


def test_zero_and_one_in_number_fields_stay_numbers():
    row = one_row([conversation(rating_score=0, linked_to=1, exports_handling_duration=1.0)])
    assert (row["rating_score"], row["linked_to"], row["exports_handling_duration"]) == (0, 1, 1)
