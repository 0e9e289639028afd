"""End to end: a week of raw days, a re-run of earlier days after conversations changed, and the
modelled tables kept current by the automation alone, compared with the simulator's ground truth.

The scenario (one module-scoped run, several tests reading it):

1. clock at 2025-03-17 00:00 UTC: the raw assets for 03-10...03-16, then everything automation
   asks for (``conversations``, then both daily assets for the week);
2. clock at 2025-03-20 00:00: conversations created late in the week have changed since; the
   raw assets are re-run for 03-16...03-19 (an earlier day plus the new ones, as the lookback
   schedule does), automation follows, then the late-updates sensor refreshes the older days
   (03-13...03-15) whose rows no longer match their conversations' current state.

Expected: the tables equal what the simulator says is true at 03-20 00:00 for every day
03-10...03-19, and every metric equals a computation from the raw ground truth in plain Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, SensorResult

from dixa_assets.arrow.schemas import CONVERSATIONS, Kind
from dixa_assets.settings import Settings
from dixa_assets_tests.conftest import day_ms, make_settings, run_assets
from dixa_assets_tests.defs.modelled.conftest import (
    RAW,
    evaluate_late_updates,
    follow_automation,
    query,
    run_requested,
)

FIRST, LAST_OF_WEEK, LAST = "2025-03-10", "2025-03-16", "2025-03-19"
RERUN_FROM = "2025-03-16"
WEEK_END = day_ms("2025-03-17")[0]
NOW = day_ms("2025-03-20")[0]
DAYS = [f"2025-03-{d}" for d in range(10, 20)]


@dataclass
class Scenario:
    settings: Settings
    organisation: object
    first_rounds: list
    second_rounds: list
    stale_before_sensor: list[str]
    sensor_ranges: list[tuple[str, str]]
    orphan_check_after_week: dict


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, simulator_server) -> Scenario:
    org = simulator_server.organisation
    settings = make_settings(tmp_path_factory.mktemp("e2e"), simulator_server)
    monkey = pytest.MonkeyPatch()
    monkey.setenv("DIXA_API_TOKEN", "unused: the runs pass the token explicitly")
    try:
        with DagsterInstance.ephemeral() as instance:
            org.set_now(WEEK_END)
            running = follow_automation(settings, instance)  # the daemon was already running
            assert running.rounds == []
            week = run_assets(settings, RAW, FIRST, LAST_OF_WEEK, instance=instance)
            assert week.success
            first = follow_automation(settings, instance, running.cursor)
            orphan_check = check_result(first.runs[-1], "conversations_known")

            org.set_now(NOW)
            assert run_assets(settings, RAW, RERUN_FROM, LAST, instance=instance).success
            rebuild = follow_automation(settings, instance, first.cursor, max_rounds=1)
            stale = [
                row["day"]
                for row in query(
                    settings,
                    "SELECT DISTINCT strftime(day, '%Y-%m-%d') AS day "
                    "FROM dixa.conversation_messages m LEFT JOIN dixa.conversations c "
                    "ON c.id = m.csid "
                    "WHERE m.conversation_updated_at IS DISTINCT FROM c.updated_at ORDER BY day",
                )
            ]
            # The sensor ticks between the rebuild and the re-run days' automation.
            tick = evaluate_late_updates(settings, instance)
            assert isinstance(tick, SensorResult), tick
            ranges = run_requested(settings, instance, tick.run_requests)
            rest = follow_automation(settings, instance, rebuild.cursor)
            again = evaluate_late_updates(settings, instance, tick.cursor)
            assert not getattr(again, "run_requests", None), again
    finally:
        org.set_now(None)
        monkey.undo()
    second_rounds = rebuild.rounds + rest.rounds
    return Scenario(settings, org, first.rounds, second_rounds, stale, ranges, orphan_check)


def check_result(run: ExecuteInProcessResult, name: str) -> dict:
    """Whether check ``name`` passed in ``run``, with its metadata values."""
    evaluation = next(e for e in run.get_asset_check_evaluations() if e.check_name == name)
    return {"passed": evaluation.passed, **{k: v.value for k, v in evaluation.metadata.items()}}


def truth_conversations(org) -> dict[int, dict]:
    """Every conversation the lake can know at NOW: current state, updated in the ten days."""
    org.set_now(NOW)
    try:
        start, end = day_ms(FIRST)[0], NOW
        return {c["id"]: c for c in org.conversations(start, end, field="updated_at")}
    finally:
        org.set_now(None)


def truth_messages(org) -> list[dict]:
    org.set_now(NOW)
    try:
        return org.messages(day_ms(FIRST)[0], NOW)
    finally:
        org.set_now(None)


def normal(kind: Kind, value):
    """A record's value as DuckDB returns it (timestamps arrive as ints, floats or exponents)."""
    if value is None:
        return None
    return int(value) if kind in (Kind.INT, Kind.TIMESTAMP) else value


def utc_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def test_automation_follows_raw_days_in_order(scenario):
    week = DAYS[:7]
    assert scenario.first_rounds == [
        {"conversations": ["None"]},
        {"conversation_messages": week, "daily_support_metrics": week},
    ]
    rerun = DAYS[6:]
    assert scenario.second_rounds == [
        {"conversations": ["None"]},
        {"conversation_messages": rerun, "daily_support_metrics": rerun},
    ]


def truth_stale_days(org) -> list[str]:
    """Week days holding a message joined with an older version of its conversation than the
    newest the lake holds once the re-run days are in: from the simulator, at both clocks."""
    start = day_ms(FIRST)[0]
    try:
        org.set_now(WEEK_END)
        fetched = org.conversations(start, WEEK_END, field="updated_at")
        joined = {c["id"]: c["updated_at"] for c in fetched}
        messages = org.messages(start, WEEK_END)
        org.set_now(NOW)
        refetched = org.conversations(day_ms(RERUN_FROM)[0], NOW, field="updated_at")
    finally:
        org.set_now(None)
    newest = {**joined, **{c["id"]: c["updated_at"] for c in refetched}}
    return sorted(
        {
            utc_day(m["created_at"])
            for m in messages
            if normal(Kind.TIMESTAMP, joined.get(m["csid"]))
            != normal(Kind.TIMESTAMP, newest.get(m["csid"]))
        }
    )


def test_late_updates_refresh_the_stale_older_days_and_leave_the_rest_to_automation(scenario):
    stale = truth_stale_days(scenario.organisation)
    assert scenario.stale_before_sensor == stale, "the tables' staleness is the simulator's"
    older = [day for day in stale if day < RERUN_FROM]
    assert older, "conversations of earlier days changed after their messages were joined"
    assert any(day >= RERUN_FROM for day in stale), "re-run days are stale until they follow"
    refreshed = [
        day for first, last in scenario.sensor_ranges for day in DAYS if first <= day <= last
    ]
    assert refreshed == older, "re-fetched days are left to automation, which refreshes them"


def test_conversations_equal_the_simulators_current_state(scenario):
    truth = truth_conversations(scenario.organisation)
    scalar = [f for f in CONVERSATIONS.fields if f.kind not in (Kind.RATINGS, Kind.CUSTOM_FIELDS,
                                                                 Kind.TAGS_INFO)]  # fmt: skip
    rows = query(scenario.settings, "SELECT * FROM dixa.conversations ORDER BY id")
    assert [row["id"] for row in rows] == sorted(truth)
    for row in rows:
        source = truth[row["id"]]
        for field in scalar:
            expected = normal(field.kind, source.get(field.name))
            if field.kind is Kind.STRING_LIST:
                expected = expected or []
                assert (row[field.name] or []) == expected, (row["id"], field.name)
            else:
                assert row[field.name] == expected, (row["id"], field.name)


def test_conversation_messages_hold_each_message_once_with_current_attributes(scenario):
    truth = truth_conversations(scenario.organisation)
    messages = truth_messages(scenario.organisation)
    rows = query(scenario.settings, "SELECT * FROM dixa.conversation_messages")
    assert sorted(row["id"] for row in rows) == sorted(m["id"] for m in messages)
    by_id = {m["id"]: m for m in messages}
    for row in rows:
        message = by_id[row["id"]]
        conversation = truth.get(message["csid"])
        assert row["day"].isoformat() == utc_day(message["created_at"])
        assert row["conversation_known"] is (conversation is not None)
        if conversation is None:  # last updated after the last fetched day: kept, with nulls
            assert row["conversation_updated_at"] is None and row["conversation_status"] is None
            continue
        for name in ("updated_at", "closed_at", "created_at"):
            assert row[f"conversation_{name}"] == normal(Kind.TIMESTAMP, conversation.get(name))
        for name in ("status", "queue_id", "queue_name", "assignee_id", "requester_name",
                     "initial_channel"):  # fmt: skip
            assert row[f"conversation_{name}"] == conversation.get(name), (row["id"], name)
        assert (row["conversation_tags"] or []) == (conversation.get("tags") or [])


def test_orphans_are_kept_counted_and_warned_about(scenario):
    check = scenario.orphan_check_after_week
    assert check["orphan_messages"] > 0, "the week's last days have conversations updated later"
    assert check["passed"] is (check["orphan_rate"] <= check["warn_above"])
    truth = truth_conversations(scenario.organisation)
    unknown = [m for m in truth_messages(scenario.organisation) if m["csid"] not in truth]
    assert unknown, "conversations closing on the next midnight are not fetched yet"
    final = query(
        scenario.settings,
        "SELECT count(*) FILTER (WHERE NOT conversation_known) AS orphans "
        "FROM dixa.conversation_messages",
    )
    assert final == [{"orphans": len(unknown)}]


def first_response_seconds(own: list[dict]) -> float | None:
    """From a conversation's first inbound message to the first human reply after it."""
    inbound = [int(m["created_at"]) for m in own if m["direction"] == "inbound"]
    if not inbound:
        return None
    first = min(inbound)
    replies = [
        int(m["created_at"]) for m in own
        if m["direction"] == "outbound" and not m.get("is_automated_message")
        and int(m["created_at"]) > first
    ]  # fmt: skip
    return (min(replies) - first) / 1000 if replies else None


def add_closing_facts(bucket: dict[str, list], conversation: dict) -> None:
    """A closed conversation's resolution and handling times and ratings, in its closing day."""
    closed, created = int(conversation["closed_at"]), int(conversation["created_at"])
    bucket["closed"].append(1)
    bucket["resolution"].append((closed - created) / 1000)
    if conversation.get("exports_handling_duration") is not None:
        bucket["handling"].append(int(conversation["exports_handling_duration"]))
    for rating in conversation.get("ratings") or []:
        score, kind = rating.get("rating_score"), (rating.get("rating_type") or "").lower()
        if score is not None and kind == "csat":
            bucket["csat"].append(score)
        if score is not None and kind.startswith("thumbs"):
            bucket["thumbs"].append(score)


def expected_metrics(org) -> dict[tuple, dict]:
    """The metrics, computed in plain Python from the simulator's records."""
    conversations = truth_conversations(org)
    messages = truth_messages(org)
    facts: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))

    def key(day: str, conversation: dict | None, message: dict | None = None) -> tuple:
        if conversation is None:
            return (day, message["initial_channel"], None, None)
        return (day, conversation["initial_channel"], conversation.get("queue_id"),
                conversation.get("queue_name"))  # fmt: skip

    by_conversation = defaultdict(list)
    for message in messages:
        by_conversation[message["csid"]].append(message)
        day = utc_day(message["created_at"])
        bucket = facts[key(day, conversations.get(message["csid"]), message)]
        bucket[message["direction"]].append(1)
        automated = message["direction"] == "outbound" and message.get("is_automated_message")
        bucket["automated"].append(1 if automated else 0)
        bucket["orphan"].append(0 if message["csid"] in conversations else 1)
    for conversation in conversations.values():
        created = int(conversation["created_at"])
        if utc_day(created) in DAYS:
            bucket = facts[key(utc_day(created), conversation)]
            bucket["created"].append(1)
            seconds = first_response_seconds(by_conversation[conversation["id"]])
            if seconds is not None:
                bucket["frt"].append(seconds)
        closed = conversation.get("closed_at")
        if closed is not None and utc_day(int(closed)) in DAYS:
            add_closing_facts(facts[key(utc_day(int(closed)), conversation)], conversation)

    def quantile(values: list, q: float) -> float | None:
        return float(np.quantile(values, q)) if values else None

    def mean(values: list) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        k: {
            "conversations_created": len(b["created"]),
            "conversations_closed": len(b["closed"]),
            "inbound_messages": len(b["inbound"]),
            "outbound_messages": len(b["outbound"]),
            "automated_messages": sum(b["automated"]),
            "orphan_messages": sum(b["orphan"]),
            "conversations_responded": len(b["frt"]),
            "first_response_seconds_median": quantile(b["frt"], 0.5),
            "first_response_seconds_p90": quantile(b["frt"], 0.9),
            "resolution_seconds_median": quantile(b["resolution"], 0.5),
            "resolution_seconds_p90": quantile(b["resolution"], 0.9),
            "handling_seconds_median": quantile(b["handling"], 0.5),
            "handling_seconds_p90": quantile(b["handling"], 0.9),
            "csat_ratings": len(b["csat"]),
            "csat_score_avg": mean(b["csat"]),
            "thumbs_ratings": len(b["thumbs"]),
            "thumbs_up_share": mean([score == 1 for score in b["thumbs"]]),
        }
        for k, b in facts.items()
    }


def test_metrics_equal_an_independent_computation_from_ground_truth(scenario):
    expected = expected_metrics(scenario.organisation)
    rows = query(scenario.settings, "SELECT * FROM dixa.daily_support_metrics")
    keys = ("day", "channel", "queue_id", "queue_name")
    actual = {tuple(row.pop(k) for k in keys): row for row in rows}
    actual = {(day.isoformat(), *rest): row for (day, *rest), row in actual.items()}
    assert sorted(actual, key=str) == sorted(expected, key=str)
    for key, metrics in expected.items():
        for name, value in metrics.items():
            got = actual[key][name]
            assert got == (None if value is None else pytest.approx(value, rel=1e-9)), (key, name)
        assert set(actual[key]) == set(metrics)
    assert sum(m["csat_ratings"] + m["thumbs_ratings"] for m in expected.values()) > 0
    assert sum(m["automated_messages"] for m in expected.values()) > 0
