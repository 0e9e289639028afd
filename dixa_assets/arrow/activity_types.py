"""The activity log's documented `_type` values (43, from Dixa's OpenAPI spec; see the notes).

There is no `ConversationCreated` and no `ConversationTransferred`: creation is one of the two
`ConversationCreatedBy*` types and a transfer is `TransferInitiated` then `TransferSuccessful`
(or `TransferFailed`).
"""

from __future__ import annotations

KNOWN_TYPES: frozenset[str] = frozenset(
    [
        "ConversationAssigned",
        "ConversationAutoreplySent",
        "ConversationChannelChanged",
        "ConversationClaimed",
        "ConversationClosed",
        "ConversationCreatedByAgent",
        "ConversationCreatedByCustomer",
        "ConversationCustomAttributesUpdated",
        "ConversationEndUserReplaced",
        "ConversationLanguageUpdated",
        "ConversationLinkedFromChild",
        "ConversationLinkedToParent",
        "ConversationMessageRedacted",
        "ConversationOfferAccepted",
        "ConversationOfferRejected",
        "ConversationOfferTimeout",
        "ConversationOffered",
        "ConversationPending",
        "ConversationRated",
        "ConversationRatingCancelled",
        "ConversationRatingNotOffered",
        "ConversationRatingOffered",
        "ConversationRatingScheduled",
        "ConversationRatingUnscheduled",
        "ConversationReopened",
        "ConversationReserved",
        "ConversationResolvedStateToggled",
        "ConversationTranscriptionEnded",
        "ConversationTranscriptionStarted",
        "ConversationUnassigned",
        "ConversationUnlinkedFromChild",
        "ConversationUnlinkedToParent",
        "FollowupAdded",
        "FollowupExpired",
        "FollowupRemoved",
        "MessageAddedByAgent",
        "MessageAddedByCustomer",
        "NoteAdded",
        "TagAdded",
        "TagRemoved",
        "TransferFailed",
        "TransferInitiated",
        "TransferSuccessful",
    ]
)
assert len(KNOWN_TYPES) == 43
CREATION_TYPES = frozenset({"ConversationCreatedByAgent", "ConversationCreatedByCustomer"})
