"""End users asking to be forgotten: Dixa anonymizes all of their conversations and messages.

Dixa's GDPR guide says anonymizing an end user cascades to every conversation and message of that
user, sets the conversation's ``anonymized_at``, and may take up to 24 hours. The Exports API does
not document which values replace the personal ones, nor whether ``updated_at`` moves. The
simulator therefore lets a test choose the delay and whether ``updated_at`` moves, and applies
this shape (the same as the organisation's own per-conversation anonymizations):

* conversation: ``anonymized_at`` = the moment the anonymization took effect; requester name,
  email and phone number removed (absent, or null for records that spell every field), the
  additional emails and phone numbers emptied. Free-text fields that the guide does not mention
  (``subject``, custom field values, wrap-up notes, rating comments) are left as they were: the
  API may keep them, and the erasure on our side must remove them anyway;
* message: its contents removed (``text``, ``from``, phone numbers, recording and voicemail URLs,
  ``chat_input_answer``, ``form_submission``) and its address lists (``to``, ``cc``, ``bcc``,
  ``attached_files``) emptied; ``author_name`` / ``author_email`` removed when the author is the end
  user (an inbound message). Ids, timestamps, channels, directions and agents stay.

An anonymization affects the user's conversations created up to the moment it takes effect.
Ground truth for what must be gone from a copy of the data is :meth:`Anonymizations.truth`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dixa_assets.simulator.conversation_shapes import CONVERSATION_FIELDS
from dixa_assets.simulator.lifecycle import Record

if TYPE_CHECKING:
    from dixa_assets.simulator.organisation import Organisation

REQUESTER_FIELDS = ("requester_name", "requester_email", "requester_phone_number")
REQUESTER_LISTS = ("requester_additional_emails", "requester_additional_phone_numbers")
MESSAGE_CONTENT = (
    "text",
    "from",
    "from_phone_number",
    "to_phone_number",
    "recording_url",
    "voicemail_url",
    "chat_input_answer",
    "form_submission",
)
MESSAGE_LISTS = ("to", "cc", "bcc", "attached_files")
END_USER_AUTHOR = ("author_name", "author_email")

# What counts as personal in the ground truth (the fields the erasure must clear).
PERSONAL_CONVERSATION_FIELDS = (
    *REQUESTER_FIELDS,
    *REQUESTER_LISTS,
    "subject",
    "custom_fields",
    "conversation_wrapup_notes",
    "rating_message",
    "ratings",
    "form_submission",
)
PERSONAL_MESSAGE_FIELDS = (*MESSAGE_CONTENT, *MESSAGE_LISTS, *END_USER_AUTHOR)
NOT_PERSONAL_KEYS = frozenset(
    {"attribute_id", "identifier", "data_type", "archived", "entity_type", "rating_type",
     "rating_status", "rating_language", "consent"}
)  # fmt: skip
"""Keys inside personal structures whose values are not personal (identifiers, enums)."""
MIN_TRUTH_CHARS = 6
"""Shorter strings ("DK", "Meh.") cannot be told apart from other data in a byte search."""


@dataclass(frozen=True, slots=True)
class Anonymization:
    """End user ``requester_id`` asked to be forgotten at ``requested_at``; Dixa applies it
    ``delay_ms`` later, moving ``updated_at`` to that moment or not."""

    requester_id: str
    requested_at: int
    delay_ms: int = 0
    moves_updated_at: bool = True

    @property
    def effective_at(self) -> int:
        return self.requested_at + self.delay_ms


@dataclass(frozen=True, slots=True)
class ErasureTruth:
    """What a copy of the data must no longer hold once the anonymizations reached it.

    ``strings``: every personal value (requester details, texts, addresses, ...) of the
    anonymized conversations and their messages as they were before, that no other conversation
    or message of the span holds too (those may legitimately stay)."""

    conversation_ids: frozenset[int]
    message_ids: frozenset[str]
    strings: frozenset[str]


class Anonymizations:
    """The anonymization events of one organisation, applied on top of its generated records."""

    def __init__(self, organisation: Organisation) -> None:
        self._org = organisation
        self._events: list[Anonymization] = []
        self._affected: dict[Anonymization, dict[int, int]] = {}
        self._lock = threading.Lock()
        self.version = 0
        """Changes with every event, so cached API answers are not served stale."""

    @property
    def events(self) -> list[Anonymization]:
        return list(self._events)

    def add(
        self,
        requester_id: str,
        requested_at: int,
        delay_ms: int = 0,
        moves_updated_at: bool = True,
    ) -> Anonymization:
        """Anonymize end user ``requester_id`` (see the module docstring)."""
        if delay_ms < 0:
            raise ValueError("delay_ms must not be negative")
        event = Anonymization(requester_id, requested_at, delay_ms, moves_updated_at)
        with self._lock:
            self._events.append(event)
            self.version += 1
        return event

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._affected.clear()
            self.version += 1

    def conversations(self, records: list[Record], now_ms: int) -> list[Record]:
        """``records`` as the API shows them at ``now_ms``."""
        affected = self._in_effect(now_ms)
        if not affected:
            return records
        return [
            _anonymized_conversation(r, *affected[r["id"]]) if r["id"] in affected else r
            for r in records
        ]

    def messages(self, records: list[Record], now_ms: int) -> list[Record]:
        affected = self._in_effect(now_ms)
        if not affected:
            return records
        return [_anonymized_message(m) if m["csid"] in affected else m for m in records]

    def moved(self, now_ms: int) -> list[Record]:
        """Anonymized conversations whose ``updated_at`` moved: they may now be updated far
        later than the organisation's update lag, so the API must look beyond it for them."""
        affected = {csid: value for csid, value in self._in_effect(now_ms).items() if value[1]}
        if not affected:
            return []
        found = self._org.conversations_by_id(affected, now_ms=now_ms, original=True)
        return self.conversations(found, now_ms)

    def truth(self, first_created_ms: int, last_created_ms: int) -> ErasureTruth:
        """Ground truth for conversations created in [first, last] and all their messages."""
        org, now = self._org, self._org.now_ms
        affected = self._in_effect(now)
        conversations = org.conversations_created(
            first_created_ms, last_created_ms, now_ms=now, original=True
        )
        messages = org.messages_created(
            first_created_ms, last_created_ms + org.lag_ms, now_ms=now, original=True
        )
        gone: set[str] = set()
        kept: set[str] = set()
        for record, personal in (
            *((r, PERSONAL_CONVERSATION_FIELDS) for r in conversations),
            *((m, _personal_message_fields(m)) for m in messages),
        ):
            if record.get("csid", record["id"]) in affected:
                gone.update(_strings([record.get(f) for f in personal]))
                kept.update(_strings([v for k, v in record.items() if k not in personal]))
            else:
                kept.update(_strings(record.values()))
        message_ids = {m["id"] for m in messages if m["csid"] in affected}
        return ErasureTruth(
            frozenset(r["id"] for r in conversations if r["id"] in affected),
            frozenset(message_ids),
            frozenset(s for s in gone - kept if len(s) >= MIN_TRUTH_CHARS),
        )

    def _in_effect(self, now_ms: int) -> dict[int, tuple[int, bool]]:
        """Conversation id -> (effective_at, moves_updated_at) of the first anonymization of its
        requester in effect at ``now_ms``."""
        events = [e for e in self._events if e.effective_at <= now_ms]
        if not events:
            return {}
        result: dict[int, tuple[int, bool]] = {}
        for event in sorted(events, key=lambda e: e.effective_at, reverse=True):
            for csid in self._conversations_of(event):
                result[csid] = (event.effective_at, event.moves_updated_at)
        return result

    def _conversations_of(self, event: Anonymization) -> dict[int, int]:
        """The requester's conversations that exist when the event takes effect (cached)."""
        with self._lock:
            known = self._affected.get(event)
        if known is None:
            org = self._org
            start = org.history_start_ms
            found = org.conversations_created(
                start, event.effective_at, now_ms=event.effective_at, original=True
            )
            known = {
                r["id"]: r["created_at"] for r in found if r["requester_id"] == event.requester_id
            }
            with self._lock:
                self._affected[event] = known
        return known


def _anonymized_conversation(record: Record, effective_at: int, moves: bool) -> Record:
    spells_nulls = set(CONVERSATION_FIELDS) <= record.keys()
    out = dict(record)
    for name in REQUESTER_FIELDS:
        _remove(out, name, spells_nulls)
    for name in REQUESTER_LISTS:
        out[name] = []
    if out.get("anonymized_at") is None or out["anonymized_at"] > effective_at:
        out["anonymized_at"] = effective_at
    if moves and out["updated_at"] < effective_at:
        out["updated_at"] = effective_at
    return out


def _anonymized_message(message: Record) -> Record:
    spells_nulls = "voicemail_url" in message
    out = dict(message)
    for name in MESSAGE_CONTENT:
        _remove(out, name, spells_nulls)
    for name in MESSAGE_LISTS:
        if name in out:
            out[name] = [] if out[name] is not None else None
    if out.get("direction") == "inbound":
        for name in END_USER_AUTHOR:
            _remove(out, name, spells_nulls)
    return out


def _personal_message_fields(message: Record) -> tuple[str, ...]:
    if message.get("direction") == "inbound":
        return PERSONAL_MESSAGE_FIELDS
    return (*MESSAGE_CONTENT, *MESSAGE_LISTS)


def _remove(record: Record, name: str, spells_nulls: bool) -> None:
    if spells_nulls:
        record[name] = None
    else:
        record.pop(name, None)


def _strings(values: Iterable[Any], key: str | None = None) -> Iterable[str]:
    """Every string inside ``values`` (nested lists and objects), except non-personal keys."""
    for value in values:
        if isinstance(value, str):
            if key not in NOT_PERSONAL_KEYS:
                yield value
        elif isinstance(value, list):
            yield from _strings(value, key)
        elif isinstance(value, dict):
            for inner_key, inner in value.items():
                if inner_key not in NOT_PERSONAL_KEYS:
                    yield from _strings([inner], inner_key)


ANONYMIZATION_PATHS = ("/_sim/anonymizations", "/_sim/truth/erasure")


def anonymization_control(
    org: Organisation, method: str, path: str, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """The simulator's control endpoints for anonymizations:

    * ``POST /_sim/anonymizations`` ``{"requester_ids": [...], "requested_at": ms (default: the
      clock), "delay_ms": 0, "moves_updated_at": true}`` or ``{"clear": true}``;
    * ``GET /_sim/anonymizations``: the events;
    * ``GET /_sim/truth/erasure?first_created_ms=&last_created_ms=``: :class:`ErasureTruth`.
    """
    events = org.anonymizations
    if path == "/_sim/anonymizations" and method == "POST":
        if body.get("clear"):
            events.clear()
        for requester_id in body.get("requester_ids", []):
            events.add(
                str(requester_id),
                int(body.get("requested_at", org.now_ms)),
                int(body.get("delay_ms", 0)),
                bool(body.get("moves_updated_at", True)),
            )
    elif path == "/_sim/truth/erasure" and method == "GET":
        truth = events.truth(int(params["first_created_ms"]), int(params["last_created_ms"]))
        return {
            "conversation_ids": sorted(truth.conversation_ids),
            "message_ids": sorted(truth.message_ids),
            "strings": sorted(truth.strings),
        }
    elif path != "/_sim/anonymizations" or method != "GET":
        raise KeyError(f"no control endpoint {method} {path}")
    return [
        {
            "requester_id": e.requester_id,
            "requested_at": e.requested_at,
            "delay_ms": e.delay_ms,
            "moves_updated_at": e.moves_updated_at,
            "effective_at": e.effective_at,
        }
        for e in events.events
    ]
