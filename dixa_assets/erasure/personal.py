"""Which stored columns hold an end user's personal data, and how each is erased.

Declared once as SQL over a row: ``dirty`` says the cell still holds personal data, ``erase`` is
the value that replaces it. The same rules rewrite the raw Parquet days, update the DuckDB tables
and prove that nothing is left (the blocking check). Everything is erased to null: the message
export cannot be asked for given conversations (no ``csids`` filter), and the conversation's
newest version may still carry values that Dixa's cascade has not reached yet (it can take a
day), so the API's own anonymized values are not relied on. Ids, timestamps, channels,
directions, statuses, queues, agents, tags and rating scores are never touched: metrics do not
change.

A DuckDB table added later that holds personal data registers its columns with
:func:`register_personal_columns` (the erasure and the check then cover it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dixa_assets.arrow.activity_schema import CONVERSATION_ID_COLUMN, PERSONAL_COLUMNS
from dixa_assets.arrow.schemas import EXTRA_FIELDS
from dixa_assets.warehouse.conversation_messages import conversation_columns
from dixa_assets.warehouse.tables import (
    CONVERSATION_EVENTS_TABLE,
    CONVERSATION_MESSAGES_TABLE,
    CONVERSATIONS_TABLE,
)


@dataclass(frozen=True)
class Rule:
    """How one column is erased; ``{c}`` stands for the quoted column name."""

    erase: str
    dirty: str

    def erase_sql(self, column: str) -> str:
        return self.erase.format(c=f'"{column}"')

    def dirty_sql(self, column: str) -> str:
        return self.dirty.format(c=f'"{column}"')


NULL = Rule("NULL", "{c} IS NOT NULL")
"""A scalar value (string, JSON text): nulled."""
NULL_LIST = Rule("NULL", "{c} IS NOT NULL AND len({c}) > 0")
"""A list of addresses, numbers or notes: nulled (an empty list holds nothing)."""
END_USER_AUTHOR = Rule(
    "NULL", "\"direction\" = 'inbound' AND {c} IS NOT NULL"
)  # fmt: skip
"""A message's author: personal only when it is the end user, i.e. the message is inbound
(outbound authors are agents or bots)."""
RATING_COMMENTS = Rule(
    "list_transform({c}, lambda r: struct_update(r, rating_message := NULL::VARCHAR, "
    "extra := NULL::VARCHAR))",
    "coalesce(list_bool_or(list_transform({c}, lambda r: r.rating_message IS NOT NULL "
    "OR r.extra IS NOT NULL)), false)",
)
"""Ratings keep their score, type, status and timestamps; the comment goes."""
CUSTOM_FIELD_VALUES = Rule(
    "list_transform({c}, lambda f: struct_update(f, value := NULL::VARCHAR, "
    "values := NULL::VARCHAR[], extra := NULL::VARCHAR))",
    "coalesce(list_bool_or(list_transform({c}, lambda f: f.value IS NOT NULL "
    "OR f.values IS NOT NULL OR f.extra IS NOT NULL)), false)",
)
"""Custom attributes keep which attribute they are; their values go."""

CONVERSATION_COLUMNS: dict[str, Rule] = {
    "requester_name": NULL,
    "requester_email": NULL,
    "requester_phone_number": NULL,
    "requester_additional_emails": NULL_LIST,
    "requester_additional_phone_numbers": NULL_LIST,
    "subject": NULL,
    "custom_fields": CUSTOM_FIELD_VALUES,
    "form_submission": NULL,
    "conversation_wrapup_notes": NULL_LIST,
    "rating_message": NULL,
    "ratings": RATING_COMMENTS,
    # Fields the reference does not list: we cannot know they are not personal.
    EXTRA_FIELDS: NULL,
}
MESSAGE_COLUMNS: dict[str, Rule] = {
    "text": NULL,
    "from": NULL,
    "to": NULL_LIST,
    "cc": NULL_LIST,
    "bcc": NULL_LIST,
    "from_phone_number": NULL,
    "to_phone_number": NULL,
    "attached_files": NULL_LIST,
    "recording_url": NULL,
    "voicemail_url": NULL,
    "chat_input_answer": NULL,
    "form_submission": NULL,
    "author_name": END_USER_AUTHOR,
    "author_email": END_USER_AUTHOR,
    EXTRA_FIELDS: NULL,
}


@dataclass(frozen=True)
class PersonalColumns:
    """The personal columns of one table and the column that holds the conversation id.
    Columns a table does not have are skipped."""

    conversation_key: str
    columns: Mapping[str, Rule] = field(default_factory=dict)

    def present(self, available: set[str] | frozenset[str]) -> dict[str, Rule]:
        return {name: rule for name, rule in self.columns.items() if name in available}


# The activity log names end users (an entry's author may be one; no author type is given, so
# every author's name, email and phone goes) and holds note texts and rating comments.
ACTIVITY_COLUMNS: dict[str, Rule] = dict.fromkeys(PERSONAL_COLUMNS, NULL)

RAW_PERSONAL: dict[str, PersonalColumns] = {
    "dixa_conversations": PersonalColumns("id", CONVERSATION_COLUMNS),
    "dixa_messages": PersonalColumns("csid", MESSAGE_COLUMNS),
    "dixa_activity_log": PersonalColumns(CONVERSATION_ID_COLUMN, ACTIVITY_COLUMNS),
}
"""Raw assets (Parquet days) by asset name."""

TABLE_PERSONAL: dict[str, PersonalColumns] = {}
"""DuckDB tables (``schema.table``) holding personal data, erased in one transaction."""


def register_personal_columns(
    table: str, conversation_key: str, columns: Mapping[str, Rule]
) -> None:
    """Declare that DuckDB ``table`` holds personal data of conversations in ``columns``, its
    rows belonging to the conversation whose id is in ``conversation_key``."""
    TABLE_PERSONAL[table] = PersonalColumns(conversation_key, dict(columns))


register_personal_columns(CONVERSATIONS_TABLE, "id", CONVERSATION_COLUMNS)
register_personal_columns(CONVERSATION_EVENTS_TABLE, CONVERSATION_ID_COLUMN, ACTIVITY_COLUMNS)
register_personal_columns(
    CONVERSATION_MESSAGES_TABLE,
    "csid",
    {
        **MESSAGE_COLUMNS,
        **{
            copy: CONVERSATION_COLUMNS[source]
            for source, copy in conversation_columns()
            if source in CONVERSATION_COLUMNS
        },
    },
)


def dirty_predicate(rules: Mapping[str, Rule]) -> str:
    """True for a row that still holds personal data in any of ``rules``' columns."""
    return " OR ".join(f"({rule.dirty_sql(name)})" for name, rule in rules.items()) or "false"


def erased_value(name: str, rule: Rule, anonymized: str) -> str:
    """The column's new value: erased where the row is of an anonymized conversation
    (``anonymized``: a SQL condition) and the cell holds personal data, else unchanged."""
    return (
        f"CASE WHEN ({anonymized}) AND ({rule.dirty_sql(name)}) THEN {rule.erase_sql(name)} "
        f'ELSE "{name}" END'
    )
