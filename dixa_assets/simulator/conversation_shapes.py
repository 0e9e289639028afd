"""What a simulated conversation record may hold: the reference's fields, the unknown fields
a few carry, and the shapes `tags_info` may take."""

from __future__ import annotations

from typing import Literal

CONVERSATION_FIELDS: tuple[str, ...] = (
    "id", "created_at", "initial_channel", "requester_id", "requester_name", "requester_email",
    "requester_additional_emails", "requester_phone_number", "requester_additional_phone_numbers",
    "queued_at", "queue_id", "queue_name", "closed_at", "ratings", "direction", "assigned_at",
    "assignee_id", "assignee_name", "assignee_email", "assignee_phone_number",
    "to_provisioned_phone_number_id", "to_provisioned_phone_number_name",
    "dixa_email_integration_id", "dixa_email_integration_sender_name", "forwarding_email",
    "facebook_page_id", "facebook_page_name", "widget_id", "widget_name", "tags", "tags_info",
    "conversation_wrapup_notes", "transferee_name", "transfer_time", "originating_country",
    "updated_at", "last_message_created_at", "status", "transferee_number",
    "from_provisioned_phone_number_id", "from_provisioned_phone_number_name", "subject",
    "anonymized_at", "custom_fields", "exports_handling_duration", "link_type", "linked_at",
    "linked_to", "rating_score", "rating_message", "total_duration", "handling_duration",
)  # fmt: skip
"""Every conversation field of the reference; null-style records carry all of them."""

UNKNOWN_CONVERSATION_FIELDS = ("sentiment_score", "ai_summary")
"""Fields no reference lists, carried by a small share of conversations (stable names)."""

TagsInfoShape = Literal["mixed", "objects"]
TAGS_INFO_SHAPES: tuple[TagsInfoShape, ...] = ("mixed", "objects")
"""`mixed`: a conversation's `tags_info` items are the reference's strings or the peers'
`{id, name, is_deactivated}` objects (half each), as real data may be; `objects`: always objects,
for clients that crash on strings (tap-dixa), with every other value and draw unchanged."""
