"""Per-conversation figures from hand-built activity logs with known transfers, reopens, waits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from dixa_assets.arrow.activity_records import entries_to_table
from dixa_assets.ingest.dimensions import DIMENSIONS
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import make_settings, run_assets

T0 = int(datetime(2025, 3, 4, 8, tzinfo=UTC).timestamp() * 1000)
S = 1000
A, B, C = "agent-a", "agent-b", "customer-c"
Q1, Q2 = "queue-billing", "queue-returns"
T1, T2 = "team-1", "team-2"
_DIM = {d.name: d for d in DIMENSIONS}
_n = iter(range(10**6))


def ev(csid: int, at_s: float, type_: str, author: str | None = None, **attributes: Any) -> dict:
    entry = {"id": f"e{next(_n):04d}", "conversationId": csid, "activityTimestamp": "-",
             "activity_ms": T0 + int(at_s * S), "_type": type_}  # fmt: skip
    if author:
        entry["author"] = {"id": author, "name": author}
    if attributes:
        entry["attributes"] = attributes
    return entry


def transfer(csid: int, at_s: float, kind: str, dest: str, label: str, by: str) -> list[dict]:
    attrs = {"transferType": kind, "destinationType": kind, "destinationId": dest,
             "destinationLabel": label}  # fmt: skip
    return [ev(csid, at_s - 1, "TransferInitiated", by, **attrs),
            ev(csid, at_s, "TransferSuccessful", by, **attrs)]  # fmt: skip


ENTRIES = [
    # 501: waits 60 s in Billing (offered twice), replied by A, moved to Returns, waits 300 s
    # there, closed, reopened, closed again.
    ev(501, 0, "ConversationCreatedByCustomer", C),
    ev(501, 0, "MessageAddedByCustomer", C, messageId="m1"),
    ev(501, 10, "ConversationOffered", queueLabel="Billing"),
    ev(501, 40, "ConversationOffered", queueLabel="Billing"),
    ev(501, 70, "ConversationAssigned", agentId=A, agentName="A"),
    ev(501, 100, "MessageAddedByAgent", A, messageId="m2"),
    *transfer(501, 201, "Queue", Q2, "Returns", A),
    ev(501, 501, "ConversationAssigned", agentId=B, agentName="B"),
    ev(501, 600, "ConversationClosed", B),
    ev(501, 700, "ConversationReopened", C),
    ev(501, 800, "ConversationClosed", B),
    # 502: abandoned in Billing after 900 s.
    ev(502, 0, "ConversationCreatedByCustomer", C),
    ev(502, 0, "MessageAddedByCustomer", C, messageId="m3"),
    ev(502, 5, "ConversationOffered", queueLabel="Billing"),
    ev(502, 905, "ConversationClosed"),
    # 503: 30 s in Returns, assigned to B, transferred to agent A (no queue), A replies.
    ev(503, 0, "ConversationCreatedByCustomer", C),
    ev(503, 1, "ConversationOffered", queueLabel="Returns"),
    ev(503, 31, "ConversationAssigned", agentId=B, agentName="B"),
    ev(503, 50, "MessageAddedByCustomer", C, messageId="m4"),
    *transfer(503, 100, "Agent", A, "A", B),
    ev(503, 100, "ConversationAssigned", agentId=A, agentName="A"),
    ev(503, 150, "MessageAddedByAgent", A, messageId="m5"),
    # 504: handled by B before B's first snapshot.
    ev(504, 0, "ConversationCreatedByAgent", B),
    ev(504, 5, "MessageAddedByCustomer", C, messageId="m6"),
    ev(504, 10, "ConversationAssigned", agentId=B, agentName="B"),
    ev(504, 20, "MessageAddedByAgent", B, messageId="m7"),
]
MARCH_1 = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp() * 1000)
MARCH_5 = int(datetime(2025, 3, 5, tzinfo=UTC).timestamp() * 1000)


def member(team: str, agent: str, since: int, until: int | None) -> dict:
    return {"team_id": team, "team_name": team.upper(), "agent_id": agent, "agent_name": agent,
            "valid_from": since, "valid_to": until, "row_hash": "h"}  # fmt: skip


def queue(queue_id: str, name: str) -> dict:
    return {"queue_id": queue_id, "queue_name": name, "agent_id": None, "valid_from": MARCH_1,
            "valid_to": None, "row_hash": "h"}  # fmt: skip


def test_hand_built_conversations(simulator: Any, tmp_path: Any, token_env: None) -> None:
    settings = make_settings(tmp_path, simulator)
    lake = ParquetLake(settings.data_dir)
    table, _ = entries_to_table(ENTRIES, "hand-built")
    lake.write("dixa_activity_log", "2025-03-04", table)
    teams = [member(T1, A, MARCH_1, T0 + 60 * S), member(T2, A, T0 + 60 * S, None),
             member(T1, B, MARCH_5, None)]  # fmt: skip
    lake.write("dixa_teams", "history", _DIM["dixa_teams"].to_table(teams))
    queues = [queue(Q1, "Billing"), queue(Q2, "Returns")]
    lake.write("dixa_queues", "history", _DIM["dixa_queues"].to_table(queues))
    run_assets(settings, ["conversations", "conversation_events", "conversation_handling"], None)
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT conversation_id, transfers, queue_transfers, reopens, closes, "
                "queues_visited, queue_wait_seconds, "
                "[(v.queue_id, v.queue_name, v.wait_seconds) for v in queue_visits], "
                "first_agent_reply_agent_id, first_agent_reply_at_ms, handling_agent_id, "
                "team_id, team_from_first_snapshot FROM dixa.conversation_handling"
            ).fetchall()
        }
    assert rows[501] == (1, 1, 1, 2, 2, 360.0, [(Q1, "Billing", 60.0), (Q2, "Returns", 300.0)],
                         A, T0 + 100 * S, A, T2, False)  # fmt: skip
    assert rows[502] == (0, 0, 0, 1, 1, 900.0, [(Q1, "Billing", 900.0)],
                         None, None, None, None, None)  # fmt: skip
    assert rows[503] == (1, 0, 0, 0, 1, 30.0, [(Q2, "Returns", 30.0)],
                         A, T0 + 150 * S, A, T2, False)  # fmt: skip
    assert rows[504] == (0, 0, 0, 0, 0, 0.0, None, B, T0 + 20 * S, B, T1, True)
