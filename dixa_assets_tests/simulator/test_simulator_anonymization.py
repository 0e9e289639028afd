"""Anonymization events: an end user's conversations and messages change as the API shows them,
after the configured delay, with or without updated_at moving, and the ground truth says what a
copy of the data must no longer hold."""

from __future__ import annotations

import httpx

from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets.simulator.anonymization import (
    END_USER_AUTHOR,
    MESSAGE_CONTENT,
    REQUESTER_FIELDS,
)
from dixa_assets.simulator.utc import DAY_MS
from dixa_assets_tests.simulator.support import HTTP, NOW_MS

HOUR_MS = 3_600_000
FIRST = NOW_MS - 20 * DAY_MS  # settled days, well before the clock


def _requester_with_several(org: Organisation) -> str:
    """An end user with more than one conversation in the organisation's first 20 days."""
    counts: dict[str, int] = {}
    for record in org.conversations_created(FIRST, FIRST + 10 * DAY_MS, original=True):
        counts[record["requester_id"]] = counts.get(record["requester_id"], 0) + 1
    return max(counts, key=lambda r: counts[r])


def _theirs(org: Organisation, requester: str) -> list[dict]:
    return [
        r
        for r in org.conversations_created(FIRST, FIRST + 10 * DAY_MS)
        if r["requester_id"] == requester
    ]


def test_anonymization_cascades_after_its_delay(organisation: Organisation) -> None:
    org = organisation
    requester = _requester_with_several(org)
    before = _theirs(org, requester)
    assert len(before) >= 2
    org.anonymizations.add(requester, NOW_MS, delay_ms=HOUR_MS, moves_updated_at=False)
    assert _theirs(org, requester) == before  # not yet: Dixa takes a while

    org.set_now(NOW_MS + HOUR_MS)
    after = _theirs(org, requester)
    assert [r["id"] for r in after] == [r["id"] for r in before]
    for old, new in zip(before, after, strict=True):
        assert new["anonymized_at"] <= NOW_MS + HOUR_MS
        assert new["updated_at"] == old["updated_at"]  # this event does not move it
        assert all(new.get(field) is None for field in REQUESTER_FIELDS)
        assert new["requester_additional_emails"] == []
        assert new["status"] == old["status"] and new.get("queue_id") == old.get("queue_id")
    ids = {r["id"] for r in before}
    messages = [m for m in org.messages_created(FIRST, NOW_MS) if m["csid"] in ids]
    assert messages
    for message in messages:
        assert all(message.get(field) is None for field in MESSAGE_CONTENT)
        if message["direction"] == "inbound":
            assert all(message.get(field) is None for field in END_USER_AUTHOR)
    others = [m for m in org.messages_created(FIRST, NOW_MS) if m["csid"] not in ids]
    assert any(m.get("text") for m in others)  # nobody else was touched


def test_moved_updated_at_reaches_the_export_far_beyond_the_update_lag(
    server: SimulatorServer, client: httpx.Client
) -> None:
    org = server.organisation
    requester = _requester_with_several(org)
    ids = sorted(r["id"] for r in _theirs(org, requester))
    window = {"updated_after": NOW_MS - HOUR_MS, "updated_before": NOW_MS + HOUR_MS}
    assert not {r["id"] for r in client.get("/v1/conversation_export", params=window).json()} & set(
        ids
    )
    answer = HTTP.post(
        f"{server.url}/_sim/anonymizations",
        json={"requester_ids": [requester], "requested_at": NOW_MS},
    )
    assert answer.status_code == 200 and answer.json()[0]["effective_at"] == NOW_MS
    exported = client.get("/v1/conversation_export", params=window).json()
    moved = sorted(r["id"] for r in exported if r.get("anonymized_at") is not None)
    assert set(ids) <= set(moved)
    assert all(r["updated_at"] == NOW_MS for r in exported if r["id"] in ids)

    truth = HTTP.get(
        f"{server.url}/_sim/truth/erasure",
        params={"first_created_ms": FIRST, "last_created_ms": FIRST + 10 * DAY_MS},
    ).json()
    assert set(truth["conversation_ids"]) == set(ids)
    assert truth["message_ids"] and truth["strings"]
    original = org.conversations_by_id(ids, original=True)
    emails = {r["requester_email"] for r in original if r.get("requester_email")}
    assert emails and emails <= set(truth["strings"])
