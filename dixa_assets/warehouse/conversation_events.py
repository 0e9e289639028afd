"""The SQL of ``dixa.conversation_events``: the activity log typed and joined to its
conversation, and what its checks ask of it.

``{activity}`` in :data:`CONVERSATION_EVENTS` is filled in by the asset: the
``dixa_activity_log`` days, or an empty table before any exists; ``agents_history`` is the
registered dimension history (:mod:`.dimension_history`). Every definition below is also the
column's description (DuckDB comment, Dagster UI).
"""

from __future__ import annotations

from dixa_assets.warehouse.tables import CONVERSATION_EVENTS_TABLE, CONVERSATIONS_TABLE

CREATION = "('ConversationCreatedByAgent', 'ConversationCreatedByCustomer')"

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
