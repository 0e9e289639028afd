"""What a conversation holds, drawn field by field: its description when created (requester,
country, channel integrations, tags, unknown fields), how it closes (durations, custom fields,
wrap-up notes) and what lands on it afterwards (ratings, late tags, links, anonymization).

The planner (:mod:`.conversations`) decides when things happen and calls these in a fixed order
on the day's `random.Random`; changing the order of draws changes every generated day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from dixa_assets.simulator.catalogue import (
    AI_MODELS,
    COUNTRIES,
    PHONE_CHANNELS,
    RATED_CHANNELS,
    Catalogue,
    Named,
    Person,
)
from dixa_assets.simulator.conversation_shapes import UNKNOWN_CONVERSATION_FIELDS, TagsInfoShape
from dixa_assets.simulator.lifecycle import REMOVED, Record, Stamp

Stages = list[tuple[int, dict[str, Any]]]
"""(instant, patch) pairs of a conversation's life."""

_RATING_MESSAGES = ("Super hurtig hjælp! 🙌", "Meh.", "", 'Agent was "very" kind\nThanks')


@dataclass
class ConversationDraws:
    """Draws what a conversation holds from the day's RNG: its description when created, its
    closing and the updates that land after."""

    catalogue: Catalogue
    rng: random.Random
    lag_ms: int
    unknown_field_rate: float
    first_org_id: int
    tags_info_shape: TagsInfoShape = "mixed"

    def describe(
        self, base: Record, requester: Person, inbound: bool
    ) -> tuple[Named | None, Named | None, bool, bool]:
        """The requester, country, channel, tags and unknown fields of ``base`` (drawn in this
        order: the organisation's records depend on it). Returns the email integration, the
        phone line, whether tags_info holds objects and whether unknown fields were added."""
        r = self.rng
        _put(base, "requester_name", requester.name)
        _put(base, "requester_email", requester.email)
        _put(base, "requester_phone_number", requester.phone)
        base["requester_additional_emails"] = list(requester.additional_emails)
        base["requester_additional_phone_numbers"] = list(requester.additional_phones)
        if r.random() < 0.8:
            base["originating_country"] = r.choice(COUNTRIES)
        integration, line = self._channel_fields(base, base["initial_channel"], inbound)
        # Drawn whatever the shape, so that "objects" changes tags_info and nothing else.
        tag_objects = r.random() < 0.5 or self.tags_info_shape == "objects"
        if r.random() < 0.15:
            self.put_tags(base, tag_objects)
        elif r.random() < 0.3:
            base["tags"] = []
            base["tags_info"] = []
        unknown = r.random() < self.unknown_field_rate
        if unknown:
            summary = {
                "text": "Customer asked about a delivery; agent resolved it.",
                "model": r.choice(AI_MODELS),
                "generated_at": base["created_at"] + 1000,
            }
            sentiment = round(r.uniform(-1.0, 1.0), 3)
            base.update(zip(UNKNOWN_CONVERSATION_FIELDS, (sentiment, summary), strict=True))
        return integration, line, tag_objects, unknown

    def _channel_fields(
        self, base: Record, channel: str, inbound: bool
    ) -> tuple[Named | None, Named | None]:
        """Integration fields of the channel; returns the email integration and phone line."""
        r = self.rng
        cat = self.catalogue
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

    def put_tags(self, record: dict[str, Any], as_objects: bool) -> None:
        tags = self.rng.sample(self.catalogue.tags, self.rng.randint(1, 3))
        record["tags"] = [tag.name for tag in tags]
        record["tags_info"] = (
            [{"id": t.id, "name": t.name, "is_deactivated": t.is_deactivated} for t in tags]
            if as_objects
            else [tag.name for tag in tags]
        )

    def link(self, at: int, csid: int, kinds: tuple[str, ...]) -> dict[str, Any]:
        r = self.rng
        return {
            "link_type": r.choice(kinds),
            "linked_at": at,
            "linked_to": r.randrange(self.first_org_id, csid),
        }

    def _custom_fields(self) -> list[dict[str, Any]]:
        r = self.rng
        fields = []
        for attribute in r.sample(self.catalogue.custom_attributes, r.randint(1, 4)):
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

    def close(
        self, created: int, assigned_at: int | None, closed_at: int, stamp: Stamp
    ) -> dict[str, Any]:
        r = self.rng
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
            patch["conversation_wrapup_notes"] = r.sample(
                self.catalogue.wrapup_notes, r.randint(1, 2)
            )
        return patch

    def after_close(
        self, closed_at: int, csid: int, channel: str, stamp: Stamp, nulls: bool, tag_objects: bool
    ) -> Stages:
        """Updates that land after closing: ratings, tags, links, anonymization."""
        r = self.rng
        room = int(0.2 * self.lag_ms)
        stages: Stages = []
        if channel in RATED_CHANNELS and r.random() < 0.45:
            stages.extend(self._ratings(closed_at, room))
        if r.random() < 0.45:
            tags: dict[str, Any] = {}
            self.put_tags(tags, tag_objects)
            stages.append((closed_at + 60_000 + int(r.random() * room), tags))
        if r.random() < 0.03 and csid > self.first_org_id:
            at = closed_at + 60_000 + int(r.random() * room)
            stages.append((at, self.link(at, csid, ("side", "related"))))
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

    def _ratings(self, closed_at: int, room: int) -> Stages:
        r = self.rng
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
        stages: Stages = [(offered_at, {"ratings": [offer]})]
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
