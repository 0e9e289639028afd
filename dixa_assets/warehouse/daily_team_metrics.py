"""The SQL of ``dixa.daily_team_metrics``: per day of creation, team at handling time and
queue, and its check. Every definition below is also the column's description (DuckDB comment,
Dagster UI).
"""

from __future__ import annotations

from dixa_assets.warehouse.tables import (
    CONVERSATION_HANDLING_TABLE,
    CONVERSATIONS_TABLE,
    DAILY_TEAM_METRICS_TABLE,
)

NOT_NEW_CONTACT_LINKS = "('side', 'emailforward')"

TEAM_METRIC_DEFINITIONS = {
    "day": "Local day (DIXA_TIMEZONE) the conversations were created",
    "team_id": "Team at handling time (conversation_handling); null: not handled or no team",
    "team_name": "That team's name",
    "queue_id": "The conversation's current queue (as in daily_support_metrics)",
    "queue_name": "Its name",
    "conversations_created": "Conversations created in the day (all of them, links included)",
    "new_contacts": "Of those, the ones that are a new contact: all but side and email-forward "
    "children (link_type side or email_forward, any case or separator), which continue an "
    "existing contact",
    "conversations_transferred": "Conversations created in the day with at least one transfer",
    "transfers": "Their TransferSuccessful entries",
    "transfer_rate": "conversations_transferred / conversations_created",
    "conversations_reopened": "Conversations created in the day reopened at least once",
    "reopens": "Their ConversationReopened entries",
    "reopen_rate": "conversations_reopened / conversations_created",
    "queue_wait_seconds_median": "Median of queue_wait_seconds over conversations that visited "
    "a queue",
    "conversations_without_activity": "Conversations with no activity log entry stored",
}

DAILY_TEAM_METRICS = f"""
SELECT
    timezone($tz, c.created_at_ts)::date AS day,
    h.team_id, h.team_name, c.queue_id, c.queue_name,
    count(*) AS conversations_created,
    count(*) FILTER (WHERE NOT coalesce(
        lower(replace(replace(c.link_type, '_', ''), '-', '')) IN {NOT_NEW_CONTACT_LINKS}, false
    )) AS new_contacts,
    count(*) FILTER (WHERE h.transfers > 0) AS conversations_transferred,
    coalesce(sum(h.transfers), 0) AS transfers,
    count(*) FILTER (WHERE h.transfers > 0) / count(*) AS transfer_rate,
    count(*) FILTER (WHERE h.reopens > 0) AS conversations_reopened,
    coalesce(sum(h.reopens), 0) AS reopens,
    count(*) FILTER (WHERE h.reopens > 0) / count(*) AS reopen_rate,
    median(h.queue_wait_seconds) FILTER (WHERE h.queues_visited > 0) AS queue_wait_seconds_median,
    count(*) FILTER (WHERE h.conversation_id IS NULL) AS conversations_without_activity
FROM {CONVERSATIONS_TABLE} AS c
LEFT JOIN {CONVERSATION_HANDLING_TABLE} AS h ON h.conversation_id = c.id
WHERE timezone($tz, c.created_at_ts)::date BETWEEN $first AND $last
GROUP BY ALL
"""

TEAM_METRICS_ADD_UP = f"""
WITH expected AS (
    SELECT timezone($tz, created_at_ts)::date AS day, count(*) AS n FROM {CONVERSATIONS_TABLE}
    WHERE timezone($tz, created_at_ts)::date BETWEEN $first AND $last GROUP BY ALL
), got AS (
    SELECT day, sum(conversations_created) AS n FROM {DAILY_TEAM_METRICS_TABLE}
    WHERE day BETWEEN $first AND $last GROUP BY ALL
)
SELECT coalesce(e.day, g.day)::varchar, coalesce(e.n, 0), coalesce(g.n, 0)
FROM expected AS e FULL JOIN got AS g USING (day)
WHERE coalesce(e.n, 0) <> coalesce(g.n, 0)
"""
