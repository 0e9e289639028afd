"""The activity log's table, declared once from the main API notes (shared/dixa-main-api-notes.md).

Common fields get a column each; so does every attribute the notes list, across all `_type`s
(attribute names that mean the same thing in several types share a column: `message` is a note's
text and a rating's comment). User-shaped values (`author`, and the attributes `agent`, `user`,
`oldUser`, `newUser`) are flattened to `_id`, `_name`, `_email`, `_phone_number`. Whatever the
notes do not list, or a value of another JSON type than declared, is kept as JSON in
`extra_attributes` / `extra_fields`, so nothing the API sent is lost, and reported as drift.

`PERSONAL_COLUMNS` and `CONVERSATION_ID_COLUMN` are what an erasure must null for an anonymized
conversation (the author may be the end user; notes and rating comments are free text).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pyarrow as pa

from dixa_assets.arrow.activity_types import KNOWN_TYPES


class Kind(Enum):
    STRING = "string"
    INT = "int"
    BOOL = "bool"
    STRING_LIST = "string_list"
    JSON = "json"  # any JSON value, as its JSON text

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self]


_ARROW_TYPES = {
    Kind.STRING: pa.string(),
    Kind.INT: pa.int64(),
    Kind.BOOL: pa.bool_(),
    Kind.STRING_LIST: pa.list_(pa.string()),
    Kind.JSON: pa.string(),
}


@dataclass(frozen=True)
class Attribute:
    """An attribute key (a path into `attributes`) and the column holding it."""

    path: tuple[str, ...]
    column: str
    kind: Kind
    description: str
    personal: bool = False


def _user(key: str, column: str, what: str) -> list[Attribute]:
    return [
        Attribute((key, "id"), f"{column}_id", Kind.STRING, f"{what}: id"),
        Attribute((key, "name"), f"{column}_name", Kind.STRING, f"{what}: name", True),
        Attribute((key, "email"), f"{column}_email", Kind.STRING, f"{what}: email", True),
        Attribute(
            (key, "phoneNumber"), f"{column}_phone_number", Kind.STRING, f"{what}: phone", True
        ),
    ]


S, N, B, L, J = Kind.STRING, Kind.INT, Kind.BOOL, Kind.STRING_LIST, Kind.JSON
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(("agentId",), "attr_agent_id", S, "ConversationAssigned: the agent assigned"),
    Attribute(("agentName",), "attr_agent_name", S, "ConversationAssigned: the agent's name"),
    Attribute(("templateName",), "attr_template_name", S, "ConversationAutoreplySent: template"),
    Attribute(("channelReference",), "attr_channel_reference", S, "ChannelChanged: channel"),
    Attribute(("claimedFromLabel",), "attr_claimed_from_label", S, "Claimed: from (label)"),
    Attribute(("claimedFromType",), "attr_claimed_from_type", S, "Claimed: from (type)"),
    Attribute(("subject",), "attr_subject", S, "CreatedBy*: the subject", True),
    Attribute(("oldSubject",), "attr_old_subject", S, "SubjectUpdated: before", True),
    Attribute(("newSubject",), "attr_new_subject", S, "SubjectUpdated: after", True),
    Attribute(
        ("updatedAttributeValues",),
        "attr_updated_attribute_values",
        J,
        "CustomAttributesUpdated: attribute id -> value(s), JSON",
        True,
    ),
    Attribute(("updatedAttributeIds",), "attr_updated_attribute_ids", L, "CustomAttributes ids"),
    Attribute(("language",), "attr_language", S, "LanguageUpdated: the language"),
    Attribute(("child",), "attr_child", N, "Linked/Unlinked: the child conversation id"),
    Attribute(("parent",), "attr_parent", N, "Linked/Unlinked: the parent conversation id"),
    Attribute(("linkType",), "attr_link_type", S, "Linked/Unlinked: the link type"),
    Attribute(("agentNames",), "attr_agent_names", L, "ConversationOffered: agents offered to"),
    Attribute(("queueLabel",), "attr_queue_label", S, "ConversationOffered: the queue's name"),
    *_user("agent", "attr_agent_user", "Rated/RatingOffered/Unassigned/Reserved: the agent"),
    *_user("user", "attr_end_user", "RatingOffered: the end user"),
    *_user("oldUser", "attr_old_user", "EndUserReplaced: the end user before"),
    *_user("newUser", "attr_new_user", "EndUserReplaced: the end user after"),
    Attribute(("score",), "attr_score", N, "ConversationRated: the score"),
    Attribute(("message",), "attr_message", S, "NoteAdded: note text; Rated: comment", True),
    Attribute(("evaluationFilters",), "attr_evaluation_filters", J, "RatingNotOffered, JSON"),
    Attribute(("ratingScheduledTime",), "attr_rating_scheduled_time", S, "RatingScheduled"),
    Attribute(("queueId",), "attr_queue_id", S, "ConversationReserved: the queue id"),
    Attribute(("queueName",), "attr_queue_name", S, "ConversationReserved: the queue name"),
    Attribute(("reservationType",), "attr_reservation_type", S, "ConversationReserved: type"),
    Attribute(("validUntil",), "attr_valid_until", S, "ConversationReserved: valid until"),
    Attribute(("isResolved",), "attr_is_resolved", B, "ResolvedStateToggled: resolved"),
    Attribute(("isSuccessful",), "attr_is_successful", B, "TranscriptionEnded: success"),
    Attribute(("failureReason",), "attr_failure_reason", S, "TranscriptionEnded: why not"),
    Attribute(("transferType",), "attr_transfer_type", S, "Transfer*: transfer type"),
    Attribute(("destinationType",), "attr_destination_type", S, "Transfer*: Queue or Agent"),
    Attribute(("destinationId",), "attr_destination_id", S, "Transfer*: queue or agent id"),
    Attribute(("destinationLabel",), "attr_destination_label", S, "Transfer*: its name"),
    Attribute(("reason",), "attr_reason", S, "Transfer*: the reason given", True),
    Attribute(("messageId",), "attr_message_id", S, "MessageAdded*/Redacted: the message id"),
    Attribute(("fromEndpoint",), "attr_from_endpoint", S, "MessageAdded*: sender endpoint", True),
    Attribute(("avatarUrl",), "attr_avatar_url", S, "MessageAdded*/NoteAdded: avatar URL"),
    Attribute(("wasTextRedacted",), "attr_was_text_redacted", B, "MessageRedacted: text gone"),
    Attribute(("numberOfDeletedFiles",), "attr_number_of_deleted_files", N, "MessageRedacted"),
    Attribute(("tag",), "attr_tag", S, "TagAdded/TagRemoved: the tag (its name)"),
)

ENTRY_FIELDS = ("id", "conversationId", "activityTimestamp", "activityType", "_type", "author")
CONVERSATION_ID_COLUMN = "conversation_id"
PARTITION_COLUMN = "activity_timestamp"
EXTRA_ATTRIBUTES = "extra_attributes"
EXTRA_FIELDS = "extra_fields"


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable).with_metadata({"description": description})


COMMON_FIELDS = [
    _field("id", pa.string(), "Activity entry id (uuid); unique", False),
    _field(CONVERSATION_ID_COLUMN, pa.int64(), "The conversation (the export's id / csid)", False),
    _field(PARTITION_COLUMN, pa.int64(), "activityTimestamp, epoch ms (the partition)", False),
    _field(f"{PARTITION_COLUMN}_ts", pa.timestamp("ms", tz="UTC"), "activityTimestamp", False),
    _field("type", pa.string(), f"_type: one of {len(KNOWN_TYPES)} documented, or new", False),
    _field("activity_type", pa.string(), "activityType (deprecated, replaced by _type)"),
    _field("author_id", pa.string(), "author.id: an agent or an end user (no type is given)"),
    _field("author_name", pa.string(), "author.name"),
    _field("author_email", pa.string(), "author.email"),
    _field("author_phone_number", pa.string(), "author.phoneNumber"),
    _field("known_type", pa.bool_(), "Whether _type is one of the documented ones", False),
]
_columns = [a.column for a in ATTRIBUTES]
assert len(set(_columns)) == len(_columns), "two attributes share a column"
ARROW_SCHEMA = pa.schema(
    [
        *COMMON_FIELDS,
        *(_field(a.column, a.kind.arrow_type, a.description) for a in ATTRIBUTES),
        _field(EXTRA_ATTRIBUTES, pa.string(), "JSON of attribute keys/values not declared above"),
        _field(EXTRA_FIELDS, pa.string(), "JSON of entry fields not declared above"),
    ]
)

PERSONAL_COLUMNS: tuple[str, ...] = (
    "author_name",
    "author_email",
    "author_phone_number",
    *(a.column for a in ATTRIBUTES if a.personal),
    EXTRA_ATTRIBUTES,
    EXTRA_FIELDS,
)
"""Columns an erasure nulls for an anonymized conversation (ids, types and times stay)."""
