"""The synthetic organisation: determinism, boundary records, clock semantics, shape variety."""

from __future__ import annotations

from collections import Counter
from datetime import date

import orjson
import pytest

from dixa_assets.simulator import ExponentFloat, Organisation
from dixa_assets.simulator.conversation_shapes import CONVERSATION_FIELDS
from dixa_assets.simulator.messages import MESSAGE_FIELDS
from dixa_assets.simulator.utc import DAY_MS, HOUR_MS, day_start_ms
from dixa_assets.simulator.wire import dumps
from dixa_assets_tests.simulator.support import NOW_MS, small_organisation

JAN = day_start_ms(date(2024, 1, 1))
FEB = day_start_ms(date(2024, 2, 1))


def test_identical_across_instances_whatever_the_access_order() -> None:
    first = small_organisation()
    second = small_organisation()
    second.conversations(FEB, FEB + 3 * DAY_MS)  # generate other days first
    assert dumps(first.conversations(JAN, FEB)) == dumps(second.conversations(JAN, FEB))
    assert dumps(first.messages(JAN, FEB)) == dumps(second.messages(JAN, FEB))
    assert dumps(small_organisation(seed=8).messages(JAN, FEB)) != dumps(first.messages(JAN, FEB))


def test_ids_are_unique_increase_with_creation_and_map_back(organisation: Organisation) -> None:
    records = organisation.conversations(JAN, FEB, "created_at")
    ids = [r["id"] for r in records]
    assert ids == sorted(set(ids))
    assert [r["created_at"] for r in records] == sorted(r["created_at"] for r in records)
    assert all(0 < i < 2**31 for i in ids)
    for record in records[::97]:
        assert organisation.conversation(record["id"]) is record
    assert organisation.conversation(ids[-1] + 10**6) is None


def test_every_event_lies_within_the_update_lag(organisation: Organisation) -> None:
    for record in organisation.conversations(JAN, FEB, "created_at"):
        for field in ("updated_at", "closed_at", "last_message_created_at", "anonymized_at"):
            value = record.get(field)
            if value is not None:
                assert record["created_at"] <= value < record["created_at"] + organisation.lag_ms
    by_csid = {r["id"]: r for r in organisation.conversations(JAN, FEB + 10 * DAY_MS, "created_at")}
    for message in organisation.messages(JAN + 6 * DAY_MS, FEB):
        conversation = by_csid[message["csid"]]
        assert conversation["created_at"] <= message["created_at"]
        assert message["created_at"] <= conversation["last_message_created_at"]


@pytest.mark.parametrize("day", [date(2024, 1, 2), date(2024, 3, 31), date(2024, 7, 15)])
def test_boundary_records_every_day(day: date) -> None:
    organisation = small_organisation(now_ms=day_start_ms(day) + 30 * DAY_MS)
    midnight = day_start_ms(day)
    created = organisation.conversations(midnight, midnight + DAY_MS, "created_at")
    assert created[0]["created_at"] == midnight
    assert organisation.messages(midnight, midnight + 1)
    copenhagen = midnight + (22 if date(2024, 3, 31) <= day < date(2024, 10, 27) else 23) * HOUR_MS
    assert any(r["created_at"] == copenhagen for r in created)
    for field in ("updated_at", "closed_at", "last_message_created_at"):
        assert organisation.conversations(midnight, midnight + 1, field), field


def test_state_follows_the_clock(organisation: Organisation) -> None:
    window = (day_start_ms(date(2024, 2, 10)), day_start_ms(date(2024, 2, 11)))
    organisation.set_now(window[0] + 12 * HOUR_MS)
    early = {r["id"]: r for r in organisation.conversations(*window, "created_at")}
    assert early and all(r["created_at"] <= organisation.now_ms for r in early.values())
    assert all(r["updated_at"] <= organisation.now_ms for r in early.values())
    assert all(m["created_at"] <= organisation.now_ms for m in organisation.messages(*window))

    organisation.now_ms = NOW_MS
    late = {r["id"]: r for r in organisation.conversations(*window, "created_at")}
    assert set(early) < set(late)
    moved = [csid for csid in early if late[csid]["updated_at"] > early[csid]["updated_at"]]
    assert moved
    assert any(early[c]["status"] != "closed" and late[c]["status"] == "closed" for c in moved)
    assert any("closed_at" not in early[c] and late[c].get("closed_at") for c in moved)


def test_advancing_the_clock_moves_conversations_into_later_update_windows() -> None:
    day = day_start_ms(date(2024, 2, 11))
    organisation = small_organisation(now_ms=day + 12 * HOUR_MS)
    assert all(
        r["updated_at"] <= organisation.now_ms
        for r in organisation.conversations(day, day + DAY_MS)
    )
    updated_the_day_before = {r["id"] for r in organisation.conversations(day - DAY_MS, day)}
    organisation.set_now(day + DAY_MS)
    updated_today = {r["id"] for r in organisation.conversations(day, day + DAY_MS)}
    assert updated_the_day_before & updated_today


def _sample() -> tuple[list[dict], list[dict]]:
    organisation = small_organisation()
    return organisation.conversations(JAN, FEB, "created_at"), organisation.messages(JAN, FEB)


def test_conversation_shapes_vary_like_real_data() -> None:
    conversations, _ = _sample()
    assert len(conversations) == 31 * 40

    def values(field: str) -> list:
        return [r[field] for r in conversations if r.get(field) is not None]

    assert {r["initial_channel"] for r in conversations} >= {
        "email", "widgetchat", "pstnphone", "voicemail", "facebookmessenger", "contactform",
        "sms", "whatsapp",
    }  # fmt: skip
    assert {r["status"] for r in conversations} == {"open", "pending", "awaitingpending", "closed"}
    assert {r["direction"] for r in conversations} == {"inbound", "outbound"}
    tags_info_items = [item for tags in values("tags_info") for item in tags]
    assert {type(item) for item in tags_info_items} == {str, dict}
    assert all(set(item) == {"id", "name", "is_deactivated"} for item in tags_info_items
               if isinstance(item, dict))  # fmt: skip
    custom = [item for fields in values("custom_fields") for item in fields]
    assert {type(item["value"]) for item in custom} == {str, list}
    assert any(set(item) - {"attribute_id", "identifier", "value", "data_type", "archived"}
               for item in custom)  # fmt: skip
    assert {type(v) for v in values("closed_at")} == {int, float, ExponentFloat}
    assert all(float(v).is_integer() for v in values("updated_at"))
    assert {type(v) for v in values("created_at")} == {int}
    ratings = [item for items in values("ratings") for item in items]
    assert {item["rating_status"] for item in ratings} >= {"Offered", "Rated"}
    assert {type(r["rating_score"]) for r in conversations if "rating_score" in r} >= {int}
    assert {r["link_type"] for r in conversations if r.get("link_type")} == {
        "email_forward", "follow_up", "side", "related",
    }  # fmt: skip
    anonymized = [r for r in conversations if r.get("anonymized_at") is not None]
    assert anonymized and all(r.get("requester_name") is None for r in anonymized)
    for field in (
        "transferee_name",
        "conversation_wrapup_notes",
        "subject",
        "widget_id",
        "facebook_page_id",
        "to_provisioned_phone_number_id",
        "from_provisioned_phone_number_id",
        "dixa_email_integration_id",
        "exports_handling_duration",
        "total_duration",
        "handling_duration",
        "last_message_created_at",
        "queued_at",
        "assigned_at",
        "rating_message",
    ):
        assert values(field), field
    assert any(r.get("sentiment_score") is not None and "ai_summary" in r for r in conversations)
    assert any("queue_id" in r and r["queue_id"] is None for r in conversations)  # explicit null
    assert any("queue_id" not in r for r in conversations)  # absent
    assert any(set(CONVERSATION_FIELDS) <= set(r) for r in conversations)  # null style


def test_objects_tags_info_shape_changes_tags_info_and_nothing_else() -> None:
    mixed, mixed_messages = _sample()
    objects_org = small_organisation(tags_info_shape="objects")
    objects = objects_org.conversations(JAN, FEB, "created_at")
    items = [item for record in objects for item in record.get("tags_info") or []]
    assert items and all(
        isinstance(item, dict) and set(item) == {"id", "name", "is_deactivated"} for item in items
    )
    assert len(objects) == len(mixed)
    for plain, as_objects in zip(mixed, objects, strict=True):
        names = [t if isinstance(t, str) else t["name"] for t in plain.get("tags_info") or []]
        assert [t["name"] for t in as_objects.get("tags_info") or []] == names
        assert {k: v for k, v in as_objects.items() if k != "tags_info"} == {
            k: v for k, v in plain.items() if k != "tags_info"
        }
    assert dumps(objects_org.messages(JAN, FEB)) == dumps(mixed_messages)
    with pytest.raises(ValueError, match="tags_info_shape"):
        small_organisation(tags_info_shape="strings")


def test_message_shapes_vary_like_real_data() -> None:
    _, messages = _sample()
    assert {m["initial_channel"] for m in messages} >= {"email", "pstnphone", "voicemail"}
    assert {m["direction"] for m in messages} == {"inbound", "outbound"}
    present = Counter(k for m in messages for k, v in m.items() if v is not None)
    assert set(MESSAGE_FIELDS) <= set(present)
    assert present["detected_language"] > 0
    assert any(m.get("is_automated_message") is True for m in messages)
    texts = [m["text"] for m in messages if m.get("text")]
    assert any("\n" in t for t in texts) and any('"' in t for t in texts)
    assert any(ord(ch) > 0xFFFF for t in texts for ch in t)  # emoji
    forms = [m["form_submission"] for m in messages if m.get("form_submission")]
    assert len({frozenset(f) for f in forms}) > 1
    assert any(isinstance(m.get("duration"), float) for m in messages)
    assert len({m["id"] for m in messages}) == len(messages)
    keys = [(m["created_at"], m["id"]) for m in messages]
    assert keys == sorted(keys)


def test_records_survive_the_wire_unchanged() -> None:
    conversations, messages = _sample()
    assert orjson.loads(dumps(conversations)) == conversations
    assert orjson.loads(dumps(messages)) == messages
    assert b"e12" in dumps(conversations)


def test_before_history_start_and_after_now_nothing_exists(organisation: Organisation) -> None:
    start = day_start_ms(organisation.history_start)
    assert organisation.conversations(start - 30 * DAY_MS, start, "created_at") == []
    assert organisation.messages(NOW_MS + 1, NOW_MS + 10 * DAY_MS) == []
    assert organisation.conversations(NOW_MS + 1, NOW_MS + DAY_MS) == []


def test_history_end_bounds_creation() -> None:
    organisation = small_organisation(history_end=date(2024, 1, 2))
    created = organisation.conversations(JAN, FEB, "created_at")
    assert len(created) == 2 * 40
    assert organisation.conversation(created[-1]["id"] + 1) is None
    assert organisation.messages(JAN + 2 * DAY_MS, FEB)  # later messages of those conversations


def test_exponent_floats_are_exact_and_equal_to_plain_floats() -> None:
    value = ExponentFloat(1700000000123)
    assert dumps([value]) == b"[1.700000000123e12]"
    assert value == 1700000000123 and orjson.loads(dumps(value)) == value
