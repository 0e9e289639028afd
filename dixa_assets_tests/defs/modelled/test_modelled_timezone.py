"""Days in a timezone with daylight saving: the tables' days are exactly the partitions' days."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dixa_assets_tests.conftest import day_ms, make_settings, run_assets
from dixa_assets_tests.defs.modelled.conftest import RAW, query

TZ = "Europe/Copenhagen"
DAYS = ("2025-03-29", "2025-03-30", "2025-03-31")  # the 30th has 23 hours


def local_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(TZ)).date().isoformat()


def test_a_dst_day_is_replaced_exactly_and_counted_in_local_days(tmp_path, simulator, token_env):
    simulator.organisation.set_now(day_ms("2025-04-05")[0])
    settings = make_settings(tmp_path, simulator, timezone=TZ)
    assert run_assets(settings, RAW, DAYS[0], DAYS[-1]).success
    assert run_assets(settings, ["conversations"], None).success
    daily = ["conversation_messages", "daily_support_metrics"]
    assert run_assets(settings, daily, DAYS[0], DAYS[-1]).success
    assert run_assets(settings, daily, DAYS[1]).success  # the 23-hour day again

    start, end = day_ms(DAYS[0], TZ)[0], day_ms(DAYS[-1], TZ)[1]
    truth = simulator.organisation.messages(start, end)
    messages = Counter(local_day(m["created_at"]) for m in truth)
    stored = query(
        settings,
        "SELECT strftime(day, '%Y-%m-%d') AS day, count(*) AS n, count(DISTINCT id) AS ids "
        "FROM dixa.conversation_messages GROUP BY ALL ORDER BY day",
    )
    assert {row["day"]: row["n"] for row in stored} == dict(messages)
    assert all(row["n"] == row["ids"] for row in stored)

    # Conversations the lake knows: those whose current updated_at falls in the fetched days.
    known = simulator.organisation.conversations(start, end, field="updated_at")
    created = Counter(local_day(conversation["created_at"]) for conversation in known)
    metrics = query(
        settings,
        "SELECT strftime(day, '%Y-%m-%d') AS day, sum(conversations_created) AS n, "
        "sum(inbound_messages + outbound_messages) AS messages "
        "FROM dixa.daily_support_metrics GROUP BY ALL",
    )
    assert sorted(row["day"] for row in metrics) == list(DAYS)
    assert all(created[day] for day in DAYS)
    for row in metrics:
        assert row["n"] == created[row["day"]], row["day"]
        assert row["messages"] == messages[row["day"]], row["day"]
