"""One conversation's life: when it is queued, assigned, transferred, closed, rated, tagged...

Each plan draws from the day's `random.Random` in a fixed order, so a day is reproducible from
(seed, day) alone. Every event falls strictly within `lag_ms` of creation, which is what lets the
organisation find all conversations touched in a window by generating only the creation days from
`window_start - lag` to `window_end`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

from dixa_assets.simulator.catalogue import (
    AI_MODELS,
    CHANNEL_WEIGHTS,
    CHANNELS,
    COUNTRIES,
    OUTBOUND_CAPABLE,
    PHONE_CHANNELS,
    RATED_CHANNELS,
    Catalogue,
    Named,
    Person,
)
from dixa_assets.simulator.lifecycle import REMOVED, ConversationLife, Record, Stamp
from dixa_assets.simulator.messages import MessageContext
from dixa_assets.simulator.utc import HOUR_MS
from dixa_assets.simulator.wire import ExponentFloat

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

_ALL_NULL: Record = dict.fromkeys(CONVERSATION_FIELDS)
_CUM_CHANNEL_WEIGHTS = tuple(sum(CHANNEL_WEIGHTS[: k + 1]) for k in range(len(CHANNEL_WEIGHTS)))
_RATING_MESSAGES = ("Super hurtig hjælp! 🙌", "Meh.", "", 'Agent was "very" kind\nThanks')


def _as_int(value: int) -> int:
    return value


def _as_exponent(value: int) -> float:
    return ExponentFloat(value)


@dataclass(frozen=True, slots=True)
class Timing:
    """Special timing for the boundary records of a day.

    `close_at` forces the conversation to close at that instant with no later event;
    `last_message_at` forces its last message to that instant.
    """

    close_at: int | None = None
    last_message_at: int | None = None


@dataclass(slots=True)
class ConversationPlan:
    """A conversation's life plus what its messages need.

    Messages after the opening one fall in (`window_start`, `window_end`]; `message_count` may be
    zero (calls abandoned in the queue); `last_message_pinned` asks for the last message to be
    exactly at `window_end`.
    """

    life: ConversationLife
    context: MessageContext
    window_start: int
    window_end: int
    message_count: int
    last_message_pinned: bool


class ConversationPlanner:
    """Plans the conversations of one day from the day's RNG."""

    def __init__(
        self,
        catalogue: Catalogue,
        rng: random.Random,
        lag_ms: int,
        unknown_field_rate: float,
        first_org_id: int,
        tags_info_shape: TagsInfoShape = "mixed",
    ) -> None:
        self._cat = catalogue
        self._rng = rng
        self._lag_ms = lag_ms
        self._unknown_rate = unknown_field_rate
        self._first_org_id = first_org_id
        self._tags_info_shape = tags_info_shape

    def plan(
        self, csid: int, created: int, extra_messages: int, timing: Timing
    ) -> ConversationPlan:
        """Plan conversation `csid` created at `created` with `extra_messages` after the first."""
        r = self._rng
        cat = self._cat
        channel = r.choices(CHANNELS, cum_weights=_CUM_CHANNEL_WEIGHTS)[0]
        inbound = not (channel in OUTBOUND_CAPABLE and r.random() < 0.12)
        style = r.random()
        stamp: Stamp = float if style < 0.02 else _as_exponent if style < 0.04 else _as_int
        nulls = r.random() < 0.25
        requester = r.choice(cat.requesters)

        base: Record = {
            "id": csid,
            "created_at": created,
            "initial_channel": channel,
            "requester_id": requester.id,
            "direction": "inbound" if inbound else "outbound",
            "status": "open",
        }
        integration, line, tag_objects, unknown = self._describe(base, requester, inbound)
        stages: list[tuple[int, dict[str, Any]]] = []
        if r.random() < 0.03 and csid > self._first_org_id:
            stages.append((created, self._link(created, csid, ("follow_up", "email_forward"))))

        # Queue and assignment.
        agent, assigned_at = self._assign(created, timing, inbound, channel, stamp, stages)
        abandoned = agent is None and channel == "pstnphone"

        # Activity window for messages after the opening one.
        window_start = assigned_at
        window_end = self._window_end(window_start, timing)
        message_count = 0 if abandoned else 1 + extra_messages
        if timing.last_message_at is not None:
            message_count = max(message_count, 2)

        # Transfer.
        transfer_time = window_end + 1
        agent_after: Person | None = None
        if agent is not None and timing.close_at is None and r.random() < 0.1:
            transfer_time = window_start + (window_end - window_start) // 3 + 1
            agent_after, patch = self._transfer(transfer_time, channel, stamp)
            stages.append((transfer_time, patch))

        # Closing, or the status it is left in.
        last_activity = window_end if message_count > 1 else created
        closes = timing.close_at is not None or abandoned or r.random() < 0.85
        closed_at = 0
        if timing.close_at is not None:
            closed_at = timing.close_at
        elif closes:
            closed_at = last_activity + 1000 + int(r.random() * 0.05 * self._lag_ms)
        if closes:
            if message_count > 1 and r.random() < 0.15:
                stages.append(((window_start + window_end) // 2, {"status": "pending"}))
            stages.append(
                (closed_at, self._close(created, assigned_at if agent else None, closed_at, stamp))
            )
        else:
            final_status = r.choice(("open", "pending", "pending", "awaitingpending"))
            if final_status != "open":
                pending_at = last_activity + 1000 + int(r.random() * 0.05 * self._lag_ms)
                stages.append((pending_at, {"status": "pending"}))
                if final_status == "awaitingpending":
                    stages.append((pending_at + 60_000, {"status": "awaitingpending"}))

        if closes and timing.close_at is None:
            stages.extend(self._after_close(closed_at, csid, channel, stamp, nulls, tag_objects))
        stages.sort(key=lambda stage: stage[0])
        if nulls:
            base = {**_ALL_NULL, **base}

        life = ConversationLife(created_at=created, base=base, stages=stages, stamp=stamp)
        context = MessageContext(
            csid=csid,
            channel=channel,
            inbound=inbound,
            requester=requester,
            agent=agent,
            agent_after_transfer=agent_after,
            transfer_time=transfer_time,
            email_integration=integration,
            phone_line=line,
            nulls=nulls,
            stamp=stamp,
            unknown_fields=unknown,
        )
        return ConversationPlan(
            life,
            context,
            window_start,
            window_end,
            message_count,
            last_message_pinned=timing.last_message_at is not None,
        )

    def _describe(
        self, base: Record, requester: Person, inbound: bool
    ) -> tuple[Named | None, Named | None, bool, bool]:
        """The requester, country, channel, tags and unknown fields of ``base`` (drawn in this
        order: the organisation's records depend on it). Returns the email integration, the
        phone line, whether tags_info holds objects and whether unknown fields were added."""
        r = self._rng
        _put(base, "requester_name", requester.name)
        _put(base, "requester_email", requester.email)
        _put(base, "requester_phone_number", requester.phone)
        base["requester_additional_emails"] = list(requester.additional_emails)
        base["requester_additional_phone_numbers"] = list(requester.additional_phones)
        if r.random() < 0.8:
            base["originating_country"] = r.choice(COUNTRIES)
        integration, line = self._channel_fields(base, base["initial_channel"], inbound)
        # Drawn whatever the shape, so that "objects" changes tags_info and nothing else.
        tag_objects = r.random() < 0.5 or self._tags_info_shape == "objects"
        if r.random() < 0.15:
            self._put_tags(base, tag_objects)
        elif r.random() < 0.3:
            base["tags"] = []
            base["tags_info"] = []
        unknown = r.random() < self._unknown_rate
        if unknown:
            summary = {
                "text": "Customer asked about a delivery; agent resolved it.",
                "model": r.choice(AI_MODELS),
                "generated_at": base["created_at"] + 1000,
            }
            sentiment = round(r.uniform(-1.0, 1.0), 3)
            base.update(zip(UNKNOWN_CONVERSATION_FIELDS, (sentiment, summary), strict=True))
        return integration, line, tag_objects, unknown

    def _assign(
        self,
        created: int,
        timing: Timing,
        inbound: bool,
        channel: str,
        stamp: Stamp,
        stages: list[tuple[int, dict[str, Any]]],
    ) -> tuple[Person | None, int]:
        """Queue an inbound conversation and assign it (most are), appending those stages;
        returns the agent (None: never assigned) and when it was assigned."""
        r = self._rng
        until = timing.close_at if timing.close_at is not None else timing.last_message_at
        span = (until - created) if until is not None else 2 * HOUR_MS
        agent: Person | None = None
        assigned_at = created
        if inbound:
            queued_at = created + 1 + int(r.random() * min(60_000, span // 100))
            queue = r.choice(self._cat.queues)
            stages.append(
                (
                    queued_at,
                    {"queued_at": stamp(queued_at), "queue_id": queue.id, "queue_name": queue.name},
                )
            )
            if r.random() < 0.92:
                agent = r.choice(self._cat.agents)
                assigned_at = queued_at + 1 + int(r.random() ** 2 * (span // 20))
        else:
            agent = r.choice(self._cat.agents)
        if agent is not None:
            stages.append((assigned_at, _assignee(agent, assigned_at, channel)))
        return agent, assigned_at

    def _window_end(self, window_start: int, timing: Timing) -> int:
        """End of the window the messages after the opening one are spread over."""
        if timing.last_message_at is not None:
            window_end = timing.last_message_at
        elif timing.close_at is not None:
            window_end = window_start + (timing.close_at - window_start) * 4 // 5
        else:
            window_end = window_start + 1 + int(self._rng.random() ** 3 * 0.4 * self._lag_ms)
        return max(window_end, window_start + 1)

    def _transfer(
        self, transfer_time: int, channel: str, stamp: Stamp
    ) -> tuple[Person | None, dict[str, Any]]:
        """A transfer to another agent (returned) or to a queue, as a stage's patch."""
        r = self._rng
        patch: dict[str, Any] = {"transfer_time": stamp(transfer_time)}
        agent_after: Person | None = None
        if r.random() < 0.6:
            agent_after = r.choice(self._cat.agents)
            patch.update(_assignee(agent_after, transfer_time, channel))
            patch["transferee_name"] = agent_after.name
            if channel in PHONE_CHANNELS and agent_after.phone is not None:
                patch["transferee_number"] = agent_after.phone
        else:
            queue = r.choice(self._cat.queues)
            patch.update(queue_id=queue.id, queue_name=queue.name, transferee_name=queue.name)
        return agent_after, patch

    def _channel_fields(
        self, base: Record, channel: str, inbound: bool
    ) -> tuple[Named | None, Named | None]:
        """Integration fields of the channel; returns the email integration and phone line."""
        r = self._rng
        cat = self._cat
        integration = None
        line = None
        if channel in PHONE_CHANNELS or channel == "sms":
            line = r.choice(cat.phone_lines)
            prefix = "to" if inbound else "from"
            base[f"{prefix}_provisioned_phone_number_id"] = line.id
            base[f"{prefix}_provisioned_phone_number_name"] = line.name
        if channel == "email":
            integration = r.choice(cat.email_integrations)
            base["dixa_email_integration_id"] = integration.id
            base["dixa_email_integration_sender_name"] = integration.name
            if r.random() < 0.3:
                base["forwarding_email"] = "acme-support@forward.dixa-sim.example"
        if channel in ("email", "contactform"):
            base["subject"] = r.choice(cat.subjects)
        if channel in ("widgetchat", "contactform"):
            widget = r.choice(cat.widgets)
            base["widget_id"] = widget.id
            base["widget_name"] = widget.name
        if channel == "facebookmessenger":
            page = r.choice(cat.facebook_pages)
            base["facebook_page_id"] = page.id
            base["facebook_page_name"] = page.name
        return integration, line

    def _put_tags(self, record: dict[str, Any], as_objects: bool) -> None:
        tags = self._rng.sample(self._cat.tags, self._rng.randint(1, 3))
        record["tags"] = [tag.name for tag in tags]
        record["tags_info"] = (
            [{"id": t.id, "name": t.name, "is_deactivated": t.is_deactivated} for t in tags]
            if as_objects
            else [tag.name for tag in tags]
        )

    def _link(self, at: int, csid: int, kinds: tuple[str, ...]) -> dict[str, Any]:
        r = self._rng
        return {
            "link_type": r.choice(kinds),
            "linked_at": at,
            "linked_to": r.randrange(self._first_org_id, csid),
        }

    def _custom_fields(self) -> list[dict[str, Any]]:
        r = self._rng
        fields = []
        for attribute in r.sample(self._cat.custom_attributes, r.randint(1, 4)):
            value: str | list[str] = (
                r.sample(attribute.options, r.randint(1, 2))
                if attribute.multi
                else r.choice(attribute.options)
            )
            item: dict[str, Any] = {
                "attribute_id": attribute.attribute_id,
                "identifier": attribute.identifier,
                "value": value,
                "data_type": attribute.data_type,
                "archived": attribute.archived,
            }
            if r.random() < 0.1:
                item["entity_type"] = "conversation"
            fields.append(item)
        return fields

    def _close(
        self, created: int, assigned_at: int | None, closed_at: int, stamp: Stamp
    ) -> dict[str, Any]:
        r = self._rng
        patch: dict[str, Any] = {
            "status": "closed",
            "closed_at": stamp(closed_at),
            "total_duration": stamp((closed_at - created) // 1000),
        }
        if assigned_at is not None:
            handling = (closed_at - assigned_at) // 1000
            patch["handling_duration"] = stamp(handling)
            patch["exports_handling_duration"] = stamp(int(handling * (0.3 + 0.7 * r.random())))
        if r.random() < 0.5:
            patch["custom_fields"] = self._custom_fields()
        elif r.random() < 0.2:
            patch["custom_fields"] = []
        if r.random() < 0.3:
            patch["conversation_wrapup_notes"] = r.sample(self._cat.wrapup_notes, r.randint(1, 2))
        return patch

    def _after_close(
        self, closed_at: int, csid: int, channel: str, stamp: Stamp, nulls: bool, tag_objects: bool
    ) -> list[tuple[int, dict[str, Any]]]:
        """Updates that land after closing: ratings, tags, links, anonymization."""
        r = self._rng
        room = int(0.2 * self._lag_ms)
        stages: list[tuple[int, dict[str, Any]]] = []
        if channel in RATED_CHANNELS and r.random() < 0.45:
            stages.extend(self._ratings(closed_at, room))
        if r.random() < 0.45:
            tags: dict[str, Any] = {}
            self._put_tags(tags, tag_objects)
            stages.append((closed_at + 60_000 + int(r.random() * room), tags))
        if r.random() < 0.03 and csid > self._first_org_id:
            at = closed_at + 60_000 + int(r.random() * room)
            stages.append((at, self._link(at, csid, ("side", "related"))))
        if r.random() < 0.03:
            at = closed_at + room + 60_000 + int(r.random() * room)
            gone = None if nulls else REMOVED
            stages.append((at, {
                "anonymized_at": stamp(at),
                "requester_name": gone,
                "requester_email": gone,
                "requester_phone_number": gone,
                "requester_additional_emails": [],
                "requester_additional_phone_numbers": [],
            }))  # fmt: skip
        return stages

    def _ratings(self, closed_at: int, room: int) -> list[tuple[int, dict[str, Any]]]:
        r = self._rng
        csat = r.random() < 0.7
        offered_at = closed_at + 1000
        offer: dict[str, Any] = {
            "rating_score": None,
            "rating_message": None,
            "rating_type": "CSAT" if csat else "ThumbsUpOrDown",
            "rating_status": "Offered",
            "rating_language": r.choice(("en", "da", "sv")),
            "rating_created_timestamp": closed_at,
            "rating_scheduled_timestamp": closed_at,
            "rating_scheduled_for_timestamp": offered_at,
            "rating_offered_timestamp": offered_at,
        }
        stages: list[tuple[int, dict[str, Any]]] = [(offered_at, {"ratings": [offer]})]
        outcome = r.random()
        later = offered_at + 60_000 + int(r.random() * room)
        if outcome < 0.6:
            score = r.randint(1, 5) if csat else r.randint(0, 1)
            message = r.choice(_RATING_MESSAGES)
            rated = {
                **offer,
                "rating_score": score,
                "rating_message": message,
                "rating_status": "Rated",
                "rating_rated_timestamp": later,
                "rating_modified_timestamp": later,
            }
            patch: dict[str, Any] = {"ratings": [rated]}
            if not csat:
                patch["rating_score"] = score
                patch["rating_message"] = message
            stages.append((later, patch))
        elif outcome < 0.75:
            status, key = r.choice(
                (
                    ("Cancelled", "rating_cancelled_timestamp"),
                    ("Unscheduled", "rating_unscheduled_timestamp"),
                )
            )
            stages.append(
                (
                    later,
                    {
                        "ratings": [
                            {
                                **offer,
                                "rating_status": status,
                                key: later,
                                "rating_modified_timestamp": later,
                            }
                        ]
                    },
                )
            )
        return stages


def _put(record: Record, key: str, value: object) -> None:
    """Set optional fields only when they have a value; null style fills the rest later."""
    if value is not None:
        record[key] = value


def _assignee(agent: Person, at: int, channel: str) -> dict[str, Any]:
    patch: dict[str, Any] = {
        "assigned_at": at,
        "assignee_id": agent.id,
        "assignee_name": agent.name,
    }
    if agent.email is not None:
        patch["assignee_email"] = agent.email
    if channel in PHONE_CHANNELS and agent.phone is not None:
        patch["assignee_phone_number"] = agent.phone
    return patch
