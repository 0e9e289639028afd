"""The SQL of the activity-log tables: events, per-conversation handling, daily team metrics.

Sources are named placeholders the asset fills in: `{activity}` (the `dixa_activity_log` days,
or an empty table before any exists) and the dimension histories `agents_history`,
`teams_history`, `queues_history` (registered Arrow tables; empty before the first snapshot).
Every definition below is also the column's description (DuckDB comment, Dagster UI).
"""

from __future__ import annotations

from dixa_assets.defs.modelled.sql import CONVERSATIONS_TABLE

# In schema dixa, as the tables of .sql.
CONVERSATION_EVENTS_TABLE = "conversation_events"
CONVERSATION_HANDLING_TABLE = "conversation_handling"
DAILY_TEAM_METRICS_TABLE = "daily_team_metrics"
CREATION = "('ConversationCreatedByAgent', 'ConversationCreatedByCustomer')"
NOT_NEW_CONTACT_LINKS = "('side', 'emailforward')"

EVENT_DEFINITIONS = {
    "day": "Local day (DIXA_TIMEZONE) of activity_timestamp: the raw partition it came from",
    "conversation_known": "Whether the conversation is in dixa.conversations",
    "author_is_agent": "Whether author_id is an agent in any dixa_agents snapshot (null: no "
    "snapshot yet); the API does not say whether an author is an agent or an end user",
    "conversation_initial_channel": "The conversation's channel (dixa.conversations)",
    "conversation_queue_id": "The conversation's current queue (dixa.conversations)",
    "conversation_status": "The conversation's current status (dixa.conversations)",
    "conversation_link_type": "The conversation's link_type (dixa.conversations)",
}

CONVERSATION_EVENTS = f"""
CREATE OR REPLACE TABLE {CONVERSATION_EVENTS_TABLE} AS
WITH agent_ids AS (SELECT DISTINCT id FROM agents_history)
SELECT
    e.*,
    timezone($tz, e.activity_timestamp_ts)::date AS day,
    c.id IS NOT NULL AS conversation_known,
    CASE WHEN (SELECT count(*) FROM agent_ids) = 0 OR e.author_id IS NULL THEN NULL
         ELSE e.author_id IN (SELECT id FROM agent_ids) END AS author_is_agent,
    c.initial_channel AS conversation_initial_channel,
    c.queue_id AS conversation_queue_id,
    c.status AS conversation_status,
    c.link_type AS conversation_link_type
FROM {{activity}} AS e
LEFT JOIN {CONVERSATIONS_TABLE} AS c ON c.id = e.conversation_id
ORDER BY e.activity_timestamp, e.id
"""

HANDLING_DEFINITIONS = {
    "conversation_id": "The conversation (one row per conversation in the activity log)",
    "created_at_ms": "Time of its ConversationCreatedBy* entry (null: none stored)",
    "transfers": "TransferSuccessful entries (to an agent or a queue)",
    "queue_transfers": "TransferSuccessful entries whose destinationType is a queue",
    "reopens": "ConversationReopened entries",
    "closes": "ConversationClosed entries (1 + reopens when closed again after each reopen)",
    "queues_visited": "Queue visits: a visit starts when the conversation is offered in a queue "
    "(ConversationOffered, queue by its name resolved through dixa_queues), transferred to a "
    "queue (TransferSuccessful to a queue) or reserved in one, and ends at the next assignment, "
    "transfer or close; a repeated offer in the same queue continues the visit",
    "queue_wait_seconds": "Sum of the visits' durations in seconds (finished visits only)",
    "queue_visits": "Each visit: queue_id (null if the name is unknown), queue_name, "
    "entered_at_ms, "
    "left_at_ms (null: still waiting), wait_seconds, in order",
    "first_agent_reply_at_ms": "First MessageAddedByAgent after the first MessageAddedByCustomer",
    "first_agent_reply_agent_id": "Its author: the agent id the message export does not give",
    "handling_agent_id": "Who handled it: the first replying agent, else the first assigned one",
    "handling_at_ms": "When: the first reply, else the first assignment",
    "team_id": "The handling agent's team at handling_at_ms from dixa_teams' history; before "
    "the first snapshot, the team in that snapshot (see team_from_first_snapshot); the lowest "
    "team id if the agent was in several",
    "team_name": "That team's name at the time",
    "team_from_first_snapshot": "Whether handling_at_ms predates the agent's first snapshot, so "
    "the team is the earliest one known rather than the one at the time",
}

CONVERSATION_HANDLING = f"""
CREATE OR REPLACE TABLE {CONVERSATION_HANDLING_TABLE} AS
WITH ev AS (
    SELECT conversation_id, activity_timestamp AS ts, id, type, author_id, attr_agent_id,
           attr_destination_type, attr_destination_id, attr_destination_label,
           attr_queue_label, attr_queue_id, attr_queue_name
    FROM {CONVERSATION_EVENTS_TABLE}
),
per AS (
    SELECT conversation_id,
        min(ts) FILTER (WHERE type IN {CREATION}) AS created_at_ms,
        count(*) FILTER (WHERE type = 'TransferSuccessful') AS transfers,
        count(*) FILTER (
            WHERE type = 'TransferSuccessful' AND lower(attr_destination_type) = 'queue'
        ) AS queue_transfers,
        count(*) FILTER (WHERE type = 'ConversationReopened') AS reopens,
        count(*) FILTER (WHERE type = 'ConversationClosed') AS closes,
        min(ts) FILTER (WHERE type = 'MessageAddedByCustomer') AS first_customer_ms
    FROM ev GROUP BY conversation_id
),
first_reply AS (
    SELECT e.conversation_id, min(e.ts) AS ts, arg_min(e.author_id, (e.ts, e.id)) AS agent_id
    FROM ev AS e JOIN per AS p USING (conversation_id)
    WHERE e.type = 'MessageAddedByAgent' AND e.author_id IS NOT NULL AND e.ts > p.first_customer_ms
    GROUP BY e.conversation_id
),
first_assignment AS (
    SELECT conversation_id, min(ts) AS ts, arg_min(attr_agent_id, (ts, id)) AS agent_id
    FROM ev WHERE type = 'ConversationAssigned' AND attr_agent_id IS NOT NULL
    GROUP BY conversation_id
),
queue_by_name AS (
    SELECT queue_name, arg_max(queue_id, valid_from) AS queue_id
    FROM queues_history WHERE queue_name IS NOT NULL GROUP BY queue_name
),
marks AS (
    SELECT e.conversation_id, e.ts, e.id,
        CASE WHEN e.type IN ('ConversationOffered', 'ConversationReserved') THEN 'enter'
             WHEN e.type = 'TransferSuccessful' AND lower(e.attr_destination_type) = 'queue'
                 THEN 'enter'
             ELSE 'leave' END AS mark,
        coalesce(e.attr_destination_id, e.attr_queue_id, q.queue_id) AS queue_id,
        coalesce(e.attr_destination_label, e.attr_queue_label, e.attr_queue_name) AS queue_name
    FROM ev AS e
    LEFT JOIN queue_by_name AS q ON q.queue_name = e.attr_queue_label
    WHERE e.type IN ('ConversationOffered', 'ConversationReserved', 'TransferSuccessful',
                     'ConversationAssigned', 'ConversationClosed')
),
ordered AS (
    SELECT *,
        lag(mark) OVER w AS prev_mark,
        lag(coalesce(queue_id, queue_name)) OVER w AS prev_queue
    FROM marks
    WINDOW w AS (PARTITION BY conversation_id
                 ORDER BY ts, CASE mark WHEN 'leave' THEN 0 ELSE 1 END, id)
),
boundaries AS (
    SELECT *, lead(ts) OVER (PARTITION BY conversation_id
                             ORDER BY ts, CASE mark WHEN 'leave' THEN 0 ELSE 1 END, id) AS next_at
    FROM ordered
    WHERE NOT (mark = 'enter' AND prev_mark = 'enter'
               AND prev_queue IS NOT DISTINCT FROM coalesce(queue_id, queue_name))
),
visits AS (
    SELECT conversation_id,
        count(*) AS queues_visited,
        sum((next_at - ts) / 1000.0) AS queue_wait_seconds,
        list(struct_pack(queue_id, queue_name, entered_at_ms := ts, left_at_ms := next_at,
                         wait_seconds := (next_at - ts) / 1000.0) ORDER BY ts, id) AS queue_visits
    FROM boundaries WHERE mark = 'enter' GROUP BY conversation_id
),
handling AS (
    SELECT p.*,
        coalesce(v.queues_visited, 0) AS queues_visited,
        coalesce(v.queue_wait_seconds, 0) AS queue_wait_seconds,
        v.queue_visits,
        r.ts AS first_agent_reply_at_ms,
        r.agent_id AS first_agent_reply_agent_id,
        coalesce(r.agent_id, a.agent_id) AS handling_agent_id,
        CASE WHEN r.agent_id IS NOT NULL THEN r.ts ELSE a.ts END AS handling_at_ms
    FROM per AS p
    LEFT JOIN visits AS v USING (conversation_id)
    LEFT JOIN first_reply AS r USING (conversation_id)
    LEFT JOIN first_assignment AS a USING (conversation_id)
),
membership AS (
    SELECT agent_id, team_id, team_name, epoch_ms(valid_from) AS vf, epoch_ms(valid_to) AS vt,
        min(epoch_ms(valid_from)) OVER (PARTITION BY agent_id) AS first_vf
    FROM teams_history WHERE agent_id IS NOT NULL
),
team_at AS (
    SELECT h.conversation_id, min(m.team_id) AS team_id,
        arg_min(m.team_name, m.team_id) AS team_name,
        bool_or(h.handling_at_ms < m.first_vf) AS team_from_first_snapshot
    FROM handling AS h JOIN membership AS m ON m.agent_id = h.handling_agent_id
    WHERE (h.handling_at_ms >= m.vf AND (m.vt IS NULL OR h.handling_at_ms < m.vt))
       OR (h.handling_at_ms < m.first_vf AND m.vf = m.first_vf)
    GROUP BY h.conversation_id
)
SELECT h.*, t.team_id, t.team_name, t.team_from_first_snapshot
FROM handling AS h LEFT JOIN team_at AS t USING (conversation_id)
ORDER BY conversation_id
"""

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

EVENT_IDS_REPEATED = f"SELECT count(*) - count(DISTINCT id) FROM {CONVERSATION_EVENTS_TABLE}"

CONVERSATIONS_WITHOUT_CREATION = f"""
SELECT c.id FROM {CONVERSATIONS_TABLE} AS c
WHERE strftime(timezone($tz, c.created_at_ts)::date, '%Y-%m-%d') IN (SELECT unnest($days))
  -- today's day holds entries only up to when it was fetched
  AND c.created_at <= (SELECT max(activity_timestamp) FROM {CONVERSATION_EVENTS_TABLE})
  AND NOT EXISTS (SELECT 1 FROM {CONVERSATION_EVENTS_TABLE} AS e
                  WHERE e.conversation_id = c.id AND e.type IN {CREATION})
ORDER BY c.id
"""
"""Conversations created on a day whose activity log is stored (up to its latest entry), but
without a creation entry."""

UNKNOWN_AGENTS = f"""
SELECT DISTINCT assignee_id FROM {CONVERSATIONS_TABLE}
WHERE assignee_id IS NOT NULL AND assignee_id NOT IN (SELECT id FROM agents_history)
ORDER BY 1
"""
"""Agents the export names (assignee_id) that no dixa_agents snapshot holds."""
