"""The SQL of ``dixa.daily_support_metrics``: every metric defined once, the statement that
computes them, and what its check and the late-updates sensor ask of it.

Every statement is set-based and parameterized (DuckDB ``$name`` parameters); nothing loops over
rows in Python. The days of conversation timestamps (created, closed) are local dates in the
partitions' timezone, ``timezone($tz, ts)::date``, the same split the daily partitions make. The
one statement that defines the metrics also serves to detect stale days: a day is stale when
recomputing it would give different rows.
"""

from __future__ import annotations

from dixa_assets.warehouse.tables import (
    CONVERSATION_MESSAGES_TABLE,
    CONVERSATIONS_TABLE,
    DAILY_SUPPORT_METRICS_TABLE,
    DAY_COLUMN,
)

METRIC_DEFINITIONS: dict[str, str] = {
    DAY_COLUMN: "Local day (DIXA_TIMEZONE, [00:00, next 00:00)) the row's facts are counted in; "
    "which timestamp places a fact in a day is said for each metric.",
    "channel": "The conversation's initial_channel; for a message of an unknown conversation, "
    "the message's initial_channel.",
    "queue_id": "The conversation's current (last) queue id; null when never queued or unknown.",
    "queue_name": "The conversation's current (last) queue name; null when never queued or "
    "unknown.",
    "conversations_created": "Conversations whose created_at is in the day.",
    "conversations_closed": "Conversations whose closed_at (their latest closing) is in the day.",
    "inbound_messages": "Messages whose created_at is in the day, direction inbound.",
    "outbound_messages": "Messages whose created_at is in the day, direction outbound "
    "(automated ones included).",
    "automated_messages": "Outbound messages whose created_at is in the day and "
    "is_automated_message is true.",
    "orphan_messages": "Messages whose created_at is in the day and whose csid is not (yet) in "
    "dixa.conversations.",
    "conversations_responded": "Conversations created in the day that have a first response "
    "(see first_response_seconds_median).",
    "first_response_seconds_median": "Over conversations created in the day: the median of "
    "(created_at of the first outbound message that is not automated (is_automated_message not "
    "true) and was created strictly after the conversation's first inbound message) minus "
    "(created_at of that first inbound message), in seconds. Conversations with no inbound "
    "message or no such response yet are left out. Median = quantile_cont(0.5), i.e. linear "
    "interpolation between the two middle values.",
    "first_response_seconds_p90": "Same population as first_response_seconds_median: the 90th "
    "percentile, quantile_cont(0.9) (linear interpolation between order statistics).",
    "resolution_seconds_median": "Over conversations closed in the day (closed_at): median of "
    "(closed_at - created_at) in seconds, quantile_cont(0.5).",
    "resolution_seconds_p90": "Same population: 90th percentile of (closed_at - created_at) in "
    "seconds, quantile_cont(0.9).",
    "handling_seconds_median": "Over conversations closed in the day that have "
    "exports_handling_duration: median of it, quantile_cont(0.5). It is Dixa's cumulative "
    "assignment time across all agents that handled the conversation, in seconds.",
    "handling_seconds_p90": "Same population: 90th percentile of exports_handling_duration "
    "(seconds), quantile_cont(0.9).",
    "csat_ratings": "Ratings (ratings[]) of conversations closed in the day whose rating_type is "
    "'CSAT' (any case) and that have a rating_score.",
    "csat_score_avg": "Mean rating_score of those CSAT ratings (Dixa's 1-5 scale).",
    "thumbs_ratings": "Ratings of conversations closed in the day whose rating_type starts with "
    "'thumbs' (any case, e.g. ThumbsUpOrDown) and that have a rating_score.",
    "thumbs_up_share": "Share of those thumbs ratings whose rating_score is 1 (0 to 1).",
}
"""Every column of ``dixa.daily_support_metrics`` and its exact definition: the asset's
description, the DuckDB column comments and the UI's column schema all come from here."""

SUPPORT_METRICS = f"""
WITH conv AS NOT MATERIALIZED (
    SELECT
        id, initial_channel AS channel, queue_id, queue_name, created_at, closed_at, ratings,
        exports_handling_duration,
        timezone($tz, created_at_ts)::date AS created_day,
        timezone($tz, closed_at_ts)::date AS closed_day
    FROM {CONVERSATIONS_TABLE}
),
cohort AS (
    SELECT * FROM conv WHERE created_day BETWEEN $first AND $last
),
first_inbound AS (
    SELECT m.csid, min(m.created_at) AS at
    FROM {CONVERSATION_MESSAGES_TABLE} AS m SEMI JOIN cohort ON cohort.id = m.csid
    WHERE m.direction = 'inbound'
    GROUP BY m.csid
),
first_response AS (
    SELECT f.csid, (min(m.created_at) - f.at) / 1000.0 AS seconds
    FROM first_inbound AS f
    JOIN {CONVERSATION_MESSAGES_TABLE} AS m ON m.csid = f.csid AND m.created_at > f.at
    WHERE m.direction = 'outbound' AND NOT coalesce(m.is_automated_message, false)
    GROUP BY f.csid, f.at
),
closed AS (
    SELECT * FROM conv WHERE closed_day BETWEEN $first AND $last
),
ratings AS (
    -- unnest in the select list: a lateral unnest (FROM closed, unnest(ratings)) is planned as
    -- a dependent join, 20 times slower at 400k closed conversations
    SELECT closed_day AS day, channel, queue_id, queue_name, unnest(ratings) AS r FROM closed
),
message_counts AS (
    SELECT m.{DAY_COLUMN} AS day,
        coalesce(c.channel, m.initial_channel) AS channel, c.queue_id, c.queue_name,
        count(*) FILTER (WHERE m.direction = 'inbound') AS inbound,
        count(*) FILTER (WHERE m.direction = 'outbound') AS outbound,
        count(*) FILTER (WHERE m.direction = 'outbound' AND m.is_automated_message) AS automated,
        count(*) FILTER (WHERE c.id IS NULL) AS orphans
    FROM {CONVERSATION_MESSAGES_TABLE} AS m LEFT JOIN conv AS c ON c.id = m.csid
    WHERE m.{DAY_COLUMN} BETWEEN $first AND $last
    GROUP BY ALL
),
facts AS (
    SELECT 'created' AS fact, c.created_day AS day, c.channel, c.queue_id, c.queue_name,
        r.seconds AS first_response_seconds
    FROM cohort AS c LEFT JOIN first_response AS r ON r.csid = c.id
    UNION ALL BY NAME
    SELECT 'closed' AS fact, closed_day AS day, channel, queue_id, queue_name,
        (closed_at - created_at) / 1000.0 AS resolution_seconds,
        exports_handling_duration AS handling_seconds
    FROM closed
    UNION ALL BY NAME
    SELECT 'rating' AS fact, day, channel, queue_id, queue_name,
        CASE WHEN lower(r.rating_type) = 'csat' THEN r.rating_score END AS csat_score,
        CASE WHEN lower(r.rating_type) LIKE 'thumbs%' THEN r.rating_score END AS thumbs_score
    FROM ratings
    WHERE r.rating_score IS NOT NULL
    UNION ALL BY NAME
    SELECT 'messages' AS fact, * FROM message_counts
)
SELECT
    day AS {DAY_COLUMN},
    CASE WHEN $by_channel_and_queue THEN channel END AS channel,
    CASE WHEN $by_channel_and_queue THEN queue_id END AS queue_id,
    CASE WHEN $by_channel_and_queue THEN queue_name END AS queue_name,
    count(*) FILTER (WHERE fact = 'created') AS conversations_created,
    count(*) FILTER (WHERE fact = 'closed') AS conversations_closed,
    coalesce(sum(inbound), 0)::BIGINT AS inbound_messages,
    coalesce(sum(outbound), 0)::BIGINT AS outbound_messages,
    coalesce(sum(automated), 0)::BIGINT AS automated_messages,
    coalesce(sum(orphans), 0)::BIGINT AS orphan_messages,
    count(first_response_seconds) AS conversations_responded,
    quantile_cont(first_response_seconds, 0.5) AS first_response_seconds_median,
    quantile_cont(first_response_seconds, 0.9) AS first_response_seconds_p90,
    quantile_cont(resolution_seconds, 0.5) AS resolution_seconds_median,
    quantile_cont(resolution_seconds, 0.9) AS resolution_seconds_p90,
    quantile_cont(handling_seconds, 0.5) AS handling_seconds_median,
    quantile_cont(handling_seconds, 0.9) AS handling_seconds_p90,
    count(csat_score) AS csat_ratings,
    avg(csat_score) AS csat_score_avg,
    count(thumbs_score) AS thumbs_ratings,
    avg((thumbs_score = 1)::INTEGER) AS thumbs_up_share
FROM facts
GROUP BY ALL
ORDER BY ALL
"""
"""The metrics of days ``$first``..``$last`` as METRIC_DEFINITIONS defines them, one row per day,
channel and queue (``$by_channel_and_queue``) or one row per day over all channels (for the
per-partition metadata that the UI plots). Conversation attributes are read from
``dixa.conversations`` (current), message facts from ``dixa.conversation_messages``.

Per-conversation facts (needed for medians) are unioned with messages already counted per day,
channel and queue. ``conv`` is inlined into each branch (NOT MATERIALIZED): DuckDB's default of
materializing a CTE used several times made this twice as slow at 700k conversations."""

METRIC_ROWS_BY_DAY = f"""
SELECT strftime({DAY_COLUMN}, '%Y-%m-%d'), count(*)
FROM {DAILY_SUPPORT_METRICS_TABLE} WHERE {DAY_COLUMN} BETWEEN $first AND $last GROUP BY ALL
"""

MESSAGES_ADD_UP = f"""
WITH metrics AS (
    SELECT {DAY_COLUMN}, sum(inbound_messages + outbound_messages) AS n
    FROM {DAILY_SUPPORT_METRICS_TABLE} WHERE {DAY_COLUMN} BETWEEN $first AND $last GROUP BY ALL
), messages AS (
    SELECT {DAY_COLUMN}, count(*) AS n
    FROM {CONVERSATION_MESSAGES_TABLE} WHERE {DAY_COLUMN} BETWEEN $first AND $last GROUP BY ALL
)
SELECT strftime({DAY_COLUMN}, '%Y-%m-%d'), coalesce(metrics.n, 0), coalesce(messages.n, 0)
FROM metrics FULL JOIN messages USING ({DAY_COLUMN})
WHERE coalesce(metrics.n, 0) <> coalesce(messages.n, 0)
"""
"""Days of ``$first``..``$last`` whose metrics, summed over channels and queues, count another
number of messages than ``conversation_messages`` holds for the day (expected: none)."""

STALE_METRIC_DAYS = f"""
WITH fresh AS ({SUPPORT_METRICS}),
stored AS (SELECT * FROM {DAILY_SUPPORT_METRICS_TABLE} WHERE {DAY_COLUMN} BETWEEN $first AND $last),
differences AS (
    (SELECT * FROM fresh EXCEPT ALL SELECT * FROM stored)
    UNION ALL
    (SELECT * FROM stored EXCEPT ALL SELECT * FROM fresh)
)
SELECT DISTINCT strftime({DAY_COLUMN}, '%Y-%m-%d') AS day FROM differences ORDER BY day
"""
"""Days between ``$first`` and ``$last`` whose stored metrics differ from a recomputation (run
with ``$by_channel_and_queue = true``)."""
