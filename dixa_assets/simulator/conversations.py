"""One conversation's life: when it is queued, assigned, transferred, closed, rated, tagged...

Each plan draws from the day's `random.Random` in a fixed order, so a day is reproducible from
(seed, day) alone. Every event falls strictly within `lag_ms` of creation, which is what lets the
organisation find all conversations touched in a window by generating only the creation days from
`window_start - lag` to `window_end`.

The planner decides when things happen; what the records hold is drawn by
:mod:`.conversation_draws`, and the fields a record may have are listed in
:mod:`.conversation_shapes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dixa_assets.simulator.catalogue import (
    CHANNEL_WEIGHTS,
    CHANNELS,
    OUTBOUND_CAPABLE,
    PHONE_CHANNELS,
    Person,
)
from dixa_assets.simulator.conversation_draws import ConversationDraws
from dixa_assets.simulator.conversation_shapes import (
    CONVERSATION_FIELDS,
)
from dixa_assets.simulator.lifecycle import ConversationLife, Record, Stamp
from dixa_assets.simulator.messages import MessageContext
from dixa_assets.simulator.utc import HOUR_MS
from dixa_assets.simulator.wire import ExponentFloat

_ALL_NULL: Record = dict.fromkeys(CONVERSATION_FIELDS)
_CUM_CHANNEL_WEIGHTS = tuple(sum(CHANNEL_WEIGHTS[: k + 1]) for k in range(len(CHANNEL_WEIGHTS)))


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


class ConversationPlanner(ConversationDraws):
    """Plans the conversations of one day from the day's RNG: when each thing happens, with
    what happens drawn by the :class:`~.conversation_draws.ConversationDraws` it extends."""

    def plan(
        self, csid: int, created: int, extra_messages: int, timing: Timing
    ) -> ConversationPlan:
        """Plan conversation `csid` created at `created` with `extra_messages` after the first."""
        r = self.rng
        cat = self.catalogue
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
        integration, line, tag_objects, unknown = self.describe(base, requester, inbound)
        stages: list[tuple[int, dict[str, Any]]] = []
        if r.random() < 0.03 and csid > self.first_org_id:
            stages.append((created, self.link(created, csid, ("follow_up", "email_forward"))))

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
            closed_at = last_activity + 1000 + int(r.random() * 0.05 * self.lag_ms)
        if closes:
            if message_count > 1 and r.random() < 0.15:
                stages.append(((window_start + window_end) // 2, {"status": "pending"}))
            stages.append(
                (
                    closed_at,
                    self.close(created, assigned_at if agent else None, closed_at, stamp),
                )
            )
        else:
            final_status = r.choice(("open", "pending", "pending", "awaitingpending"))
            if final_status != "open":
                pending_at = last_activity + 1000 + int(r.random() * 0.05 * self.lag_ms)
                stages.append((pending_at, {"status": "pending"}))
                if final_status == "awaitingpending":
                    stages.append((pending_at + 60_000, {"status": "awaitingpending"}))

        if closes and timing.close_at is None:
            stages.extend(self.after_close(closed_at, csid, channel, stamp, nulls, tag_objects))
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
        r = self.rng
        until = timing.close_at if timing.close_at is not None else timing.last_message_at
        span = (until - created) if until is not None else 2 * HOUR_MS
        agent: Person | None = None
        assigned_at = created
        if inbound:
            queued_at = created + 1 + int(r.random() * min(60_000, span // 100))
            queue = r.choice(self.catalogue.queues)
            stages.append(
                (
                    queued_at,
                    {"queued_at": stamp(queued_at), "queue_id": queue.id, "queue_name": queue.name},
                )
            )
            if r.random() < 0.92:
                agent = r.choice(self.catalogue.agents)
                assigned_at = queued_at + 1 + int(r.random() ** 2 * (span // 20))
        else:
            agent = r.choice(self.catalogue.agents)
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
            window_end = window_start + 1 + int(self.rng.random() ** 3 * 0.4 * self.lag_ms)
        return max(window_end, window_start + 1)

    def _transfer(
        self, transfer_time: int, channel: str, stamp: Stamp
    ) -> tuple[Person | None, dict[str, Any]]:
        """A transfer to another agent (returned) or to a queue, as a stage's patch."""
        r = self.rng
        patch: dict[str, Any] = {"transfer_time": stamp(transfer_time)}
        agent_after: Person | None = None
        if r.random() < 0.6:
            agent_after = r.choice(self.catalogue.agents)
            patch.update(_assignee(agent_after, transfer_time, channel))
            patch["transferee_name"] = agent_after.name
            if channel in PHONE_CHANNELS and agent_after.phone is not None:
                patch["transferee_number"] = agent_after.phone
        else:
            queue = r.choice(self.catalogue.queues)
            patch.update(queue_id=queue.id, queue_name=queue.name, transferee_name=queue.name)
        return agent_after, patch


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
