"""The SQL of ``dixa.conversation_messages``: each message of a day with its conversation's
current attributes, and what its checks and the late-updates sensor ask of it.

A message's ``day`` is the partition key of the raw file it came from.
"""

from __future__ import annotations

from dixa_assets.arrow.schemas import CONVERSATIONS as CONVERSATIONS_SPEC
from dixa_assets.arrow.schemas import TS_SUFFIX, Kind
from dixa_assets.warehouse.tables import (
    CONVERSATION_MESSAGES_TABLE,
    CONVERSATIONS_TABLE,
    DAY_COLUMN,
)

CONVERSATION_ATTRIBUTES = (
    "created_at",
    "updated_at",
    "closed_at",
    "status",
    "initial_channel",
    "direction",
    "queue_id",
    "queue_name",
    "queued_at",
    "assignee_id",
    "assignee_name",
    "assignee_email",
    "assigned_at",
    "requester_id",
    "requester_name",
    "requester_email",
    "tags",
    "subject",
    "originating_country",
    "anonymized_at",
)
"""Conversation columns copied onto each message as ``conversation_<name>`` (timestamps also as
``conversation_<name>_ts``). ``conversation_updated_at`` is the version the row was joined with:
it is how stale rows are found after the conversation changes."""

_KINDS = {field.name: field.kind for field in CONVERSATIONS_SPEC.fields}


def conversation_columns() -> list[tuple[str, str]]:
    """(column of ``dixa.conversations``, column of ``conversation_messages``) pairs."""
    pairs = []
    for name in CONVERSATION_ATTRIBUTES:
        pairs.append((name, f"conversation_{name}"))
        if _KINDS[name] is Kind.TIMESTAMP:
            pairs.append((name + TS_SUFFIX, f"conversation_{name}{TS_SUFFIX}"))
    return pairs


_CONVERSATION_SELECT = ",\n    ".join(f"c.{src} AS {dst}" for src, dst in conversation_columns())

SELECT_CONVERSATION_MESSAGES = f"""
WITH partition_files AS (
    SELECT unnest($files) AS filename, unnest($days)::DATE AS {DAY_COLUMN}
)
SELECT
    m.* EXCLUDE (filename),
    p.{DAY_COLUMN},
    c.id IS NOT NULL AS conversation_known,
    {_CONVERSATION_SELECT}
FROM read_parquet($files, union_by_name = true, filename = true) AS m
JOIN partition_files AS p USING (filename)
LEFT JOIN {CONVERSATIONS_TABLE} AS c ON c.id = m.csid
ORDER BY m.created_at, m.id
"""
"""The messages of the given day files (``$files``, with their partition keys in ``$days``) and
their conversation's current attributes. A row's ``day`` is the partition it was stored in, not
recomputed from its timestamp, so re-running that partition always replaces it. A message whose
conversation is not (yet) in ``dixa.conversations`` is kept with null conversation columns and
``conversation_known = false``."""

STALE_CONVERSATION_MESSAGE_DAYS = f"""
SELECT DISTINCT strftime(m.{DAY_COLUMN}, '%Y-%m-%d') AS day
FROM {CONVERSATION_MESSAGES_TABLE} AS m
LEFT JOIN {CONVERSATIONS_TABLE} AS c ON c.id = m.csid
WHERE m.conversation_updated_at IS DISTINCT FROM c.updated_at
ORDER BY day
"""
"""Days holding a message joined with another version of its conversation than the current one
(including messages whose conversation has become known since)."""

DAY_SUMMARY = f"""
SELECT
    strftime({DAY_COLUMN}, '%Y-%m-%d') AS day,
    count(*) AS rows,
    count(*) FILTER (WHERE NOT conversation_known) AS orphan_messages
FROM {CONVERSATION_MESSAGES_TABLE}
WHERE {DAY_COLUMN} BETWEEN $first AND $last
GROUP BY ALL
"""
"""Per day of a run: rows and messages whose conversation is unknown."""

MESSAGE_ID_REPEATS = f"""
SELECT
    count(*) FILTER (WHERE {DAY_COLUMN} BETWEEN $first AND $last)
        - count(DISTINCT id) FILTER (WHERE {DAY_COLUMN} BETWEEN $first AND $last),
    count(*) FILTER (WHERE {DAY_COLUMN} NOT BETWEEN $first AND $last)
FROM {CONVERSATION_MESSAGES_TABLE}
WHERE id IN (
    SELECT id FROM {CONVERSATION_MESSAGES_TABLE} WHERE {DAY_COLUMN} BETWEEN $first AND $last
)
"""
"""For the messages of a run's days: extra rows with the same id within those days, and rows
with one of their ids on other days (both 0 when each message is held once). Looks up only the
run's ids: a count(DISTINCT id) over the whole table costs seconds at millions of rows."""
