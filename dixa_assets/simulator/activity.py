"""The activity log of each conversation, derived from the same life the export record comes from.

Every event the export shows has its entry at the same instant: creation, the queue it was
offered in, assignments, the transfer (to an agent or a queue), pending, tags, links, ratings,
the close with its wrap-up notes, and one entry per message (its author an agent id, which the
message export does not give). What the export cannot show is added from a per-conversation RNG
that draws nothing from the export's streams, so the export is unchanged: a close and reopen
before the final close, and the drift the real API may send (an unknown `_type`, an unknown
attribute key), which is served only when the main API's switch asks for it.
"""

from __future__ import annotations

import random
import threading
import uuid
from bisect import bisect_left, bisect_right
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from dixa_assets.simulator.catalogue import Catalogue, Person
from dixa_assets.simulator.directory import author
from dixa_assets.simulator.lifecycle import ConversationLife, Record
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.synthesis import Day
from dixa_assets.simulator.utc import DAY_MS

DRIFT_TYPE = "ConversationSummaryGenerated"
DRIFT_ATTRIBUTE = "assignmentReason"
REOPEN_RATE = 0.12
DRIFT_TYPE_RATE = 0.05
DRIFT_ATTRIBUTE_RATE = 0.2
_RATING_TYPES = {
    "Offered": "ConversationRatingOffered",
    "Rated": "ConversationRated",
    "Cancelled": "ConversationRatingCancelled",
    "Unscheduled": "ConversationRatingUnscheduled",
}


@dataclass(frozen=True, slots=True)
class Activity:
    """One entry; `drift` entries and `extra_attributes` are served only when switched on."""

    at: int
    id: str
    csid: int
    type: str
    author: dict[str, Any] | None
    attributes: dict[str, Any] | None
    drift: bool = False
    extra_attributes: dict[str, Any] | None = None

    def attributes_served(self, drift: bool) -> dict[str, Any] | None:
        if drift and self.extra_attributes:
            return {**(self.attributes or {}), **self.extra_attributes}
        return self.attributes


class _Builder:
    """Collects one conversation's entries with ids from its own RNG."""

    def __init__(self, csid: int, rng: random.Random) -> None:
        self.csid = csid
        self.rng = rng
        self.entries: list[Activity] = []

    def add(
        self,
        at: int,
        type_: str,
        who: Person | None,
        attributes: dict[str, Any] | None = None,
        **flags: Any,
    ) -> None:
        entry_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        shape = author(who) if who is not None else None
        self.entries.append(Activity(at, entry_id, self.csid, type_, shape, attributes, **flags))


class ActivitySynth:
    """Turns a generated day into its activity entries."""

    def __init__(self, catalogue: Catalogue, seed: int) -> None:
        self._seed = seed
        self._agents = {agent.id: agent for agent in catalogue.agents}
        self._requesters = {person.id: person for person in catalogue.requesters}

    def day(self, day: Day) -> list[Activity]:
        messages: defaultdict[int, list[Record]] = defaultdict(list)
        for message in day.messages:
            messages[message["csid"]].append(message)
        entries: list[Activity] = []
        for life in day.lives:
            entries.extend(self.conversation(life, messages.get(life.base["id"], [])))
        entries.sort(key=lambda a: (a.at, a.id))
        return entries

    def conversation(self, life: ConversationLife, messages: list[Record]) -> list[Activity]:
        base = life.base
        csid = base["id"]
        b = _Builder(csid, random.Random(f"dixa-activity:{self._seed}:{csid}"))
        requester = self._requesters[base["requester_id"]]
        timeline: list[tuple[int, Person]] = []  # who is assigned from when

        def agent_at(t: int) -> Person | None:
            return _assigned_at(timeline, t)

        created = life.created_at
        inbound = base["direction"] == "inbound"
        creator_type = "ConversationCreatedByCustomer" if inbound else "ConversationCreatedByAgent"
        creation_attrs = {"subject": base["subject"]} if base.get("subject") else {}
        assignees = [p["assignee_id"] for _, p in life.stages if "assignee_id" in p]
        creator = requester if inbound else self._agents[assignees[0]]
        b.add(created, creator_type, creator, creation_attrs)
        for tag in base.get("tags") or []:
            b.add(created, "TagAdded", None, {"tag": tag})
        closes: list[int] = []
        for at, patch in life.stages:
            self._stage(b, at, patch, timeline, requester, closes)
        for message in messages:
            _message(b, message, requester, agent_at(message["created_at"]))
        if closes and b.rng.random() < REOPEN_RATE:
            start = timeline[0][0] if timeline else created
            if closes[-1] - start >= 4:
                first_close = start + (closes[-1] - start) // 3
                reopen = first_close + (closes[-1] - first_close) // 2
                b.add(first_close, "ConversationClosed", agent_at(first_close))
                b.add(reopen, "ConversationReopened", requester)
        if b.rng.random() < DRIFT_TYPE_RATE:
            drift = {"model": "summary-v2", "summaryLength": 42}
            b.add(created + 1, DRIFT_TYPE, None, drift, drift=True)
        return b.entries

    def _stage(
        self,
        b: _Builder,
        at: int,
        patch: Record,
        timeline: list[tuple[int, Person]],
        requester: Person,
        closes: list[int],
    ) -> None:
        """The entries of one stage of the conversation's life (appends to ``timeline`` on an
        assignment and to ``closes`` on a closing)."""
        if "queued_at" in patch:
            b.add(at, "ConversationOffered", None, {"queueLabel": patch["queue_name"]})
        if "assignee_id" in patch:
            agent = self._agents[patch["assignee_id"]]
            if "transfer_time" in patch:
                self._transfer(b, at, _assigned_at(timeline, at), "Agent", agent.id, agent.name)
            timeline.append((at, agent))
            extra = None
            if b.rng.random() < DRIFT_ATTRIBUTE_RATE:
                extra = {DRIFT_ATTRIBUTE: "LongestIdle"}
            attrs = {"agentId": agent.id, "agentName": agent.name}
            b.add(at, "ConversationAssigned", None, attrs, extra_attributes=extra)
        elif "transfer_time" in patch:
            queue_id, name = patch["queue_id"], patch["queue_name"]
            self._transfer(b, at, _assigned_at(timeline, at), "Queue", queue_id, name)
        by = _assigned_at(timeline, at)
        status = patch.get("status")
        if status == "pending":
            b.add(at, "ConversationPending", by)
        elif status == "closed":
            closes.append(at)
            for note in patch.get("conversation_wrapup_notes") or []:
                b.add(at, "NoteAdded", by, {"message": note})
            b.add(at, "ConversationClosed", by)
        for tag in patch.get("tags") or []:
            b.add(at, "TagAdded", by, {"tag": tag})
        if "link_type" in patch:
            link = {"child": b.csid, "parent": patch["linked_to"], "linkType": patch["link_type"]}
            b.add(at, "ConversationLinkedToParent", None, link)
        for rating in patch.get("ratings") or []:
            self._rating(b, at, rating, by, requester)

    @staticmethod
    def _transfer(
        b: _Builder, at: int, by: Person | None, kind: str, destination: str, label: str
    ) -> None:
        attrs = {
            "transferType": kind,
            "destinationType": kind,
            "destinationId": destination,
            "destinationLabel": label,
        }
        b.add(at - 1, "TransferInitiated", by, attrs)
        b.add(at, "TransferSuccessful", by, attrs)

    @staticmethod
    def _rating(
        b: _Builder, at: int, rating: Record, agent: Person | None, requester: Person
    ) -> None:
        type_ = _RATING_TYPES.get(rating.get("rating_status") or "")
        if type_ is None:
            return
        agent_shape = author(agent) if agent is not None else None
        if type_ == "ConversationRatingOffered":
            attrs: dict[str, Any] = {"agent": agent_shape, "user": author(requester)}
        elif type_ == "ConversationRated":
            attrs = {"agent": agent_shape, "score": rating.get("rating_score")}
            if rating.get("rating_message"):
                attrs["message"] = rating["rating_message"]
        else:
            attrs = {}
        b.add(at, type_, requester if type_ == "ConversationRated" else None, attrs)


class ActivityLog:
    """The organisation's whole activity log, generated per creation day and cached."""

    def __init__(self, organisation: Organisation, cached_days: int = 64) -> None:
        self.organisation = organisation
        self._synth = ActivitySynth(organisation.catalogue, organisation.seed)
        self._days: OrderedDict[int, tuple[list[Activity], list[int]]] = OrderedDict()
        self._cached_days = cached_days
        self._answers: OrderedDict[tuple[int, int, bool], list[Activity]] = OrderedDict()
        self._lock = threading.Lock()

    def between(
        self, first_ms: int, last_ms: int, *, drift: bool, now_ms: int | None = None
    ) -> list[Activity]:
        """Entries with `first_ms <= at <= last_ms` that exist at `now_ms`, by (at, id).

        The last few answers are kept: a client pages through the same query many times."""
        org = self.organisation
        now = org.now_ms if now_ms is None else now_ms
        last_ms = min(last_ms, now)
        key = (first_ms, last_ms, drift)
        with self._lock:
            cached = self._answers.get(key)
        if cached is not None:
            return cached
        found: list[Activity] = []
        for day in org.days_between(first_ms - org.lag_ms - DAY_MS, last_ms):
            entries, times = self._entries(day)
            lo, hi = bisect_left(times, first_ms), bisect_right(times, last_ms)
            found.extend(e for e in entries[lo:hi] if drift or not e.drift)
        found.sort(key=lambda a: (a.at, a.id))
        with self._lock:
            self._answers[key] = found
            while len(self._answers) > 4:
                self._answers.popitem(last=False)
        return found

    def conversation(self, csid: int, *, drift: bool, now_ms: int | None = None) -> list[Activity]:
        """One conversation's entries that exist at `now_ms`, by (at, id)."""
        record = self.organisation.conversation(csid)
        if record is None:
            return []
        created = int(record["created_at"])
        day = self.organisation.days_between(created, created)[0]
        now = self.organisation.now_ms if now_ms is None else now_ms
        return [
            e
            for e in self._entries(day)[0]
            if e.csid == csid and e.at <= now and (drift or not e.drift)
        ]

    def _entries(self, day: Day) -> tuple[list[Activity], list[int]]:
        with self._lock:
            cached = self._days.get(day.epoch_day)
            if cached is not None:
                self._days.move_to_end(day.epoch_day)
                return cached
        entries = self._synth.day(day)
        cached = (entries, [e.at for e in entries])
        with self._lock:
            self._days[day.epoch_day] = cached
            while len(self._days) > self._cached_days:
                self._days.popitem(last=False)
        return cached


def _assigned_at(timeline: list[tuple[int, Person]], t: int) -> Person | None:
    """Who is assigned at ``t`` (the latest assignment since), if anyone."""
    current = None
    for since, agent in timeline:
        if since <= t:
            current = agent
    return current


def _message(b: _Builder, message: Record, requester: Person, agent: Person | None) -> None:
    """The entry of one message: by the customer, the bot's autoreply, or by the agent."""
    at = message["created_at"]
    if message["direction"] == "inbound":
        b.add(at, "MessageAddedByCustomer", requester, {"messageId": message["id"]})
    elif message.get("author_name") == "Acme Bot":
        b.add(at, "ConversationAutoreplySent", None, {"templateName": "Welcome"})
    else:
        b.add(at, "MessageAddedByAgent", agent, {"messageId": message["id"]})
