"""Activity entries to the typed table: every value lands typed or, if surprising, as JSON."""

from __future__ import annotations

import orjson
import pytest

from dixa_assets.arrow.activity_records import entries_to_table
from dixa_assets.arrow.activity_schema import ARROW_SCHEMA, PERSONAL_COLUMNS
from dixa_assets.arrow.records import MalformedRecordError


def entry(**fields: object) -> dict[str, object]:
    base = {"id": "e1", "conversationId": 42, "activityTimestamp": "x", "activity_ms": 1000,
            "_type": "ConversationRated", "activityType": "RatedActivityType"}  # fmt: skip
    return {**base, **fields}


def test_values_of_another_type_are_kept_as_sent_not_coerced() -> None:
    entries = [
        entry(attributes={"score": "5", "message": True, "agent": {"id": "a", "nick": "x"}}),
        entry(id="e2", conversationId="43", attributes=None, author="system", surprise=[1]),
        entry(id="e3", attributes={"score": 4, "message": "ok", "agent": None}),
    ]
    table, drift = entries_to_table(entries, "day")
    rows = table.to_pylist()
    assert rows[0]["attr_score"] is None and rows[0]["attr_message"] is None
    assert rows[0]["attr_agent_user_id"] == "a"
    assert orjson.loads(rows[0]["extra_attributes"]) == {
        "score": "5",
        "message": True,
        "agent": {"nick": "x"},
    }
    assert rows[1]["conversation_id"] == 43 and rows[1]["extra_attributes"] is None
    assert orjson.loads(rows[1]["extra_fields"]) == {"surprise": [1], "author": "system"}
    assert rows[2]["attr_score"] == 4 and rows[2]["extra_attributes"] is None
    assert drift.unknown_fields == {"surprise": 1}
    assert table.schema == ARROW_SCHEMA


def test_an_unusable_entry_fails_naming_it() -> None:
    with pytest.raises(
        MalformedRecordError, match=r"'conversationId'.*id='e9'.*partition 2025-03-03"
    ):
        entries_to_table([entry(id="e9", conversationId=None)], "partition 2025-03-03")


def test_personal_columns_are_declared_columns() -> None:
    assert set(PERSONAL_COLUMNS) <= set(ARROW_SCHEMA.names)
    assert {"author_name", "attr_message", "attr_end_user_email"} <= set(PERSONAL_COLUMNS)
