"""The two export tables, declared once from the Exports API reference.

Every field of the reference appears here with its description, so the Arrow schema, the Parquet
files, the DuckDB tables and the column schema shown in the Dagster UI all come from one place.
Where real data differs from the reference (see the field notes: ``tags_info`` items are strings
or objects, ``custom_fields`` values are strings or arrays, timestamps arrive as floats, fields
appear that the reference does not list), the declared type holds every shape losslessly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property

import pyarrow as pa


class Kind(Enum):
    """How a JSON field is stored."""

    INT = "int"  # int64; JSON floats with integral values accepted
    TIMESTAMP = "timestamp"  # int64 epoch ms, plus a `<name>_ts` timestamp[ms, UTC] column
    STRING = "string"
    BOOL = "bool"
    STRING_LIST = "string_list"
    JSON = "json"  # any JSON value, kept as its JSON text
    RATINGS = "ratings"
    CUSTOM_FIELDS = "custom_fields"
    TAGS_INFO = "tags_info"


EXTRA = pa.field("extra", pa.string()).with_metadata(
    {"description": "JSON object of keys the reference does not list (null when none)"}
)

RATING_TIMESTAMPS = (
    "rating_created_timestamp",
    "rating_offered_timestamp",
    "rating_modified_timestamp",
    "rating_rated_timestamp",
    "rating_scheduled_timestamp",
    "rating_scheduled_for_timestamp",
    "rating_unscheduled_timestamp",
    "rating_cancelled_timestamp",
)
RATING = pa.struct(
    [
        pa.field("rating_score", pa.int64()),
        pa.field("rating_message", pa.string()),
        pa.field("rating_type", pa.string()),
        pa.field("rating_status", pa.string()),
        pa.field("rating_language", pa.string()),
        *(pa.field(name, pa.int64()) for name in RATING_TIMESTAMPS),
        EXTRA,
    ]
)
CUSTOM_FIELD = pa.struct(
    [
        pa.field("attribute_id", pa.string()),
        pa.field("identifier", pa.string()),
        pa.field("data_type", pa.string()),
        pa.field("archived", pa.bool_()),
        pa.field("value", pa.string()),  # a scalar value (non-strings as JSON text)
        pa.field("values", pa.list_(pa.string())),  # an array value
        EXTRA,
    ]
)
TAG_INFO = pa.struct(
    [
        pa.field("id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("is_deactivated", pa.bool_()),
        pa.field("text", pa.string()),  # the item when it is a plain string, as the reference says
        EXTRA,
    ]
)

ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.INT: pa.int64(),
    Kind.TIMESTAMP: pa.int64(),
    Kind.STRING: pa.string(),
    Kind.BOOL: pa.bool_(),
    Kind.STRING_LIST: pa.list_(pa.string()),
    Kind.JSON: pa.string(),
    Kind.RATINGS: pa.list_(RATING),
    Kind.CUSTOM_FIELDS: pa.list_(CUSTOM_FIELD),
    Kind.TAGS_INFO: pa.list_(TAG_INFO),
}
TIMESTAMP_TYPE = pa.timestamp("ms", tz="UTC")
TS_SUFFIX = "_ts"
EXTRA_FIELDS = "extra_fields"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    description: str
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One export's table: its fields in reference order, the column that partitions it, and
    the raw asset (also its folder in the lake) that stores it."""

    name: str
    asset: str
    fields: tuple[Field, ...]
    partition_field: str

    @cached_property
    def known_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    @cached_property
    def typed_struct(self) -> pa.StructType:
        """The flat fields as pyarrow converts them from dicts in one strict pass.

        Whole numbers go through float64 (exact below 2**53; pyarrow refuses larger ints rather
        than round them) and are checked and cast back to int64 by the converter.
        """
        as_float = (Kind.INT, Kind.TIMESTAMP)
        flat = (Kind.STRING, Kind.BOOL, *as_float)
        return pa.struct(
            [
                pa.field(f.name, pa.float64() if f.kind in as_float else ARROW_TYPES[f.kind])
                for f in self.fields
                if f.kind in flat
            ]
        )

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        columns: list[pa.Field] = []
        for f in self.fields:
            meta = {"description": f.description}
            columns.append(pa.field(f.name, ARROW_TYPES[f.kind], not f.required, meta))
            if f.kind is Kind.TIMESTAMP:
                ts_meta = {"description": f"{f.name} as a UTC timestamp"}
                columns.append(
                    pa.field(f.name + TS_SUFFIX, TIMESTAMP_TYPE, not f.required, ts_meta)
                )
        extra_meta = {"description": "JSON object of top-level fields the reference does not list"}
        columns.append(pa.field(EXTRA_FIELDS, pa.string(), True, extra_meta))
        return pa.schema(columns)


def empty_table(schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` with no rows. ``Schema.empty_table`` imports pandas (0.3 s, 40 MB)
    in a process that may otherwise never need it, a fetch-only run's included."""
    return pa.Table.from_batches([], schema=schema)


def descriptions(schema: pa.Schema) -> dict[str, str]:
    """Each column's description, as declared in its Arrow field's metadata ("" if none)."""
    return {f.name: (f.metadata or {}).get(b"description", b"").decode() for f in schema}


def _f(name: str, kind: Kind, description: str, required: bool = False) -> Field:
    return Field(name, kind, description, required)


STR, INT, TS, BOOL, STRS = Kind.STRING, Kind.INT, Kind.TIMESTAMP, Kind.BOOL, Kind.STRING_LIST

CONVERSATIONS = TableSpec(
    name="conversations",
    asset="dixa_conversations",
    partition_field="updated_at",
    fields=(
        _f("id", INT, "Id of the conversation (csid)", required=True),
        _f("created_at", TS, "When the conversation was created", required=True),
        _f("initial_channel", STR, "Channel through which the communication started", True),
        _f("requester_id", STR, "Id of the end user who requested the conversation", True),
        _f("requester_name", STR, "Name of the requesting end user"),
        _f("requester_email", STR, "Email of the requesting end user"),
        _f("requester_additional_emails", STRS, "Additional emails of the requesting end user"),
        _f("requester_phone_number", STR, "Phone number of the requesting end user"),
        _f("requester_additional_phone_numbers", STRS, "Additional phone numbers of the requester"),
        _f("queued_at", TS, "When the conversation was queued"),
        _f("queue_id", STR, "Id of the last queue the conversation was placed in"),
        _f("queue_name", STR, "Name of the last queue the conversation was placed in"),
        _f("closed_at", TS, "When the conversation was closed"),
        _f("ratings", Kind.RATINGS, "Ratings of the conversation"),
        _f("direction", STR, "Direction of the conversation: inbound or outbound"),
        _f("assigned_at", TS, "When the conversation was assigned to an agent"),
        _f("assignee_id", STR, "Id of the assigned agent"),
        _f("assignee_name", STR, "Name of the assigned agent"),
        _f("assignee_email", STR, "Email of the assigned agent"),
        _f("assignee_phone_number", STR, "Phone number of the assigned agent"),
        _f("to_provisioned_phone_number_id", STR, "Called phone number (inbound calls)"),
        _f("to_provisioned_phone_number_name", STR, "Name of the called phone number"),
        _f("dixa_email_integration_id", STR, "Email integration id (the address itself)"),
        _f("dixa_email_integration_sender_name", STR, "Sender name of the email integration"),
        _f("forwarding_email", STR, "Forwarding email address"),
        _f("facebook_page_id", STR, "Facebook page id"),
        _f("facebook_page_name", STR, "Facebook page name"),
        _f("widget_id", STR, "Id of the widget used"),
        _f("widget_name", STR, "Name of the widget used"),
        _f("tags", STRS, "All tags of the conversation"),
        _f("tags_info", Kind.TAGS_INFO, "Tag details: strings or {id, name, is_deactivated}"),
        _f("conversation_wrapup_notes", STRS, "Notes of the conversation (internal notes)"),
        _f("transferee_name", STR, "Target of the latest transfer: a queue or a user"),
        _f("transfer_time", TS, "When the latest transfer happened"),
        _f("originating_country", STR, "Country the conversation originates from"),
        _f("updated_at", TS, "When the conversation was last updated (partitions this table)"),
        _f("last_message_created_at", TS, "When the latest message was created"),
        _f("status", STR, "open, closed, pending or awaitingpending"),
        _f("transferee_number", STR, "Phone number of the agent transferred to"),
        _f("from_provisioned_phone_number_id", STR, "Calling phone number (outbound calls)"),
        _f("from_provisioned_phone_number_name", STR, "Name of the calling phone number"),
        _f("subject", STR, "Subject (email and contact form)"),
        _f("anonymized_at", TS, "When the conversation was anonymized"),
        _f("custom_fields", Kind.CUSTOM_FIELDS, "Custom attributes of the conversation"),
        _f("exports_handling_duration", INT, "Cumulative assignment time of all agents (s)"),
        _f("link_type", STR, "email_forward, follow_up, side or related"),
        _f("linked_at", TS, "When the conversation was linked"),
        _f("linked_to", INT, "Id of the conversation this one is linked to"),
        _f("rating_score", INT, "Deprecated: thumbs up/down rating score (0 or 1)"),
        _f("rating_message", STR, "Deprecated: message of the thumbs rating"),
        _f("total_duration", INT, "Deprecated: closed_at - created_at (s)"),
        _f("handling_duration", INT, "Deprecated: closed_at - assigned_at (s)"),
    ),
)

MESSAGES = TableSpec(
    name="messages",
    asset="dixa_messages",
    partition_field="created_at",
    fields=(
        _f("id", STR, "Id of the message (uuid)", required=True),
        _f("csid", INT, "Id of the conversation the message belongs to", required=True),
        _f("created_at", TS, "When the message was created (partitions this table)", True),
        _f("initial_channel", STR, "Channel through which the communication started"),
        _f("author_name", STR, "Name of the author"),
        _f("author_email", STR, "Email of the author"),
        _f("direction", STR, "inbound or outbound"),
        _f("text", STR, "Full message text (not for phone and voicemail)"),
        _f("from_phone_number", STR, "Phone number the call came from (phone, voicemail)"),
        _f("to_phone_number", STR, "Phone number the call went to (phone, voicemail)"),
        _f("duration", INT, "Length of the call or voicemail"),
        _f("recording_url", STR, "Link to the call recording (phone)"),
        _f("voicemail_url", STR, "Link to the voicemail"),
        _f("to", STRS, "Recipient email addresses (email, contact form)"),
        _f("from", STR, "Sender email address (email, contact form)"),
        _f("cc", STRS, "CC addresses (email)"),
        _f("bcc", STRS, "BCC addresses (email)"),
        _f("attached_files", STRS, "Links to attached files (email, Messenger)"),
        _f("is_automated_message", BOOL, "Generated automatically rather than by an agent"),
        _f("chat_input_question", STR, "Input question that started the chat (widget chat)"),
        _f("chat_input_answer", STR, "Input answer that started the chat (widget chat)"),
        _f("chat_menu_text", STR, "Menu text that started the chat (widget chat)"),
        _f("form_submission", Kind.JSON, "Form submission object, as JSON text"),
    ),
)
