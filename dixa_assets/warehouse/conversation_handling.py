"""The SQL of ``dixa.conversation_handling``: per conversation, what its activity log says
about its handling (transfers, reopens, queue visits, first reply, handling agent and team).

Reads ``dixa.conversation_events`` and the registered dimension histories ``teams_history`` and
``queues_history`` (:mod:`.dimension_history`). Every definition below is also the column's
description (DuckDB comment, Dagster UI).
"""

from __future__ import annotations

from dixa_assets.warehouse.conversation_events import CREATION
from dixa_assets.warehouse.tables import CONVERSATION_EVENTS_TABLE, CONVERSATION_HANDLING_TABLE

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
