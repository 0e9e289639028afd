"""Generation of one UTC creation day: its conversations' lives and all of their messages.

A day is a pure function of (seed, day, parameters): conversation plans come from a
`random.Random` and message bulk (times, ids, draws) from a numpy generator, both seeded by
(seed, day) only. numpy is used because a benchmark day of 1M messages must be generated in
seconds; per-message Python work is limited to building the final dict.

Boundary records planted every day: the first conversation (and its first message) at exactly
00:00:00.000 UTC; one conversation on Copenhagen's local midnight; the second conversation closes
exactly at the next UTC midnight with no later event (so its final `updated_at` and `closed_at` are
a midnight); the third has its last message exactly at the next UTC midnight.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from dixa_assets.simulator.catalogue import Catalogue
from dixa_assets.simulator.conversation_shapes import TagsInfoShape
from dixa_assets.simulator.conversations import ConversationPlanner, Timing
from dixa_assets.simulator.lifecycle import ConversationLife, Record
from dixa_assets.simulator.messages import build_message
from dixa_assets.simulator.utc import DAY_MS, copenhagen_midnight_ms, day_of_epoch_day


@dataclass(frozen=True, slots=True)
class DayShape:
    """Generation parameters shared by every day of an organisation."""

    seed: int
    conversations_per_day: int
    messages_per_conversation: float
    lag_ms: int
    unknown_field_rate: float
    first_org_id: int
    tags_info_shape: TagsInfoShape = "mixed"


@dataclass(frozen=True, slots=True)
class Day:
    """One creation day, laid out for bisecting.

    `lives` are ordered by id (which is creation order) with `created` as their creation times;
    `messages` are ordered by (created_at, id) with `message_created` as their created_at;
    `settled_at` is the last event of any of the day's conversations.
    """

    epoch_day: int
    lives: list[ConversationLife]
    created: list[int]
    messages: list[Record]
    message_created: list[int]
    settled_at: int


def _creation_times(rng: np.random.Generator, start: int, count: int, epoch_day: int) -> list[int]:
    """Sorted creation times: the day's midnight, Copenhagen midnight, the rest uniform."""
    special = [start, copenhagen_midnight_ms(day_of_epoch_day(epoch_day))][:count]
    rest = rng.integers(start + 1, start + DAY_MS, size=count - len(special), dtype=np.int64)
    return sorted(special + rest.tolist())


def _timing(index: int, next_midnight: int) -> Timing:
    if index == 1:
        return Timing(close_at=next_midnight)
    if index == 2:
        return Timing(last_message_at=next_midnight)
    return Timing()


def generate_day(catalogue: Catalogue, shape: DayShape, epoch_day: int, first_id: int) -> Day:
    """Generate creation day `epoch_day` (days since 1970-01-01) with ids from `first_id`."""
    count = shape.conversations_per_day
    start = epoch_day * DAY_MS
    rng = np.random.default_rng([shape.seed % 2**63, epoch_day % 2**63])
    planner = ConversationPlanner(
        catalogue,
        random.Random(f"dixa-simulator:{shape.seed}:{epoch_day}"),
        shape.lag_ms,
        shape.unknown_field_rate,
        shape.first_org_id,
        shape.tags_info_shape,
    )
    created = _creation_times(rng, start, count, epoch_day)
    extra = rng.poisson(shape.messages_per_conversation - 1.0, size=count).tolist()
    plans = [
        planner.plan(first_id + i, created[i], extra[i], _timing(i, start + DAY_MS))
        for i in range(count)
    ]

    # Message times: the opening message at creation, the rest uniform in (start, end].
    counts = np.array([p.message_count for p in plans], dtype=np.int64)
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    conv = np.repeat(np.arange(count), counts)
    window_start = np.array([p.window_start for p in plans], dtype=np.int64)
    window_width = np.array([p.window_end for p in plans], dtype=np.int64) - window_start
    times = window_start[conv] + 1 + (rng.random(total) * window_width[conv]).astype(np.int64)
    has_messages = counts > 0
    times[offsets[has_messages]] = np.array(created, dtype=np.int64)[has_messages]
    times = times[np.lexsort((times, conv))]
    position = np.arange(total) - offsets[conv]
    for i, plan in enumerate(plans):
        if plan.last_message_pinned:
            times[offsets[i] + counts[i] - 1] = plan.window_end

    time_list = times.tolist()
    for plan, offset, n in zip(plans, offsets.tolist(), counts.tolist(), strict=True):
        plan.life.message_times = time_list[offset : offset + n]
        plan.life.settle()

    # Message ids (UUID v4 bits) and the (created_at, id) order the API serves.
    raw = np.frombuffer(rng.bytes(16 * total), dtype=np.uint8).reshape(total, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    halves = raw.view(">u8")
    order = np.lexsort((halves[:, 1], halves[:, 0], times))
    hex_ids = raw[order].tobytes().hex()
    draws_a = rng.random(total)[order].tolist()
    draws_b = rng.random(total)[order].tolist()
    contexts = [plan.context for plan in plans]
    conv_list = conv[order].tolist()
    position_list = position[order].tolist()
    created_list = times[order].tolist()
    messages = []
    for k in range(total):
        h = hex_ids[32 * k : 32 * k + 32]
        messages.append(
            build_message(
                catalogue,
                contexts[conv_list[k]],
                f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
                created_list[k],
                position_list[k],
                draws_a[k],
                draws_b[k],
            )
        )
    lives = [plan.life for plan in plans]
    return Day(
        epoch_day=epoch_day,
        lives=lives,
        created=created,
        messages=messages,
        message_created=created_list,
        settled_at=max(life.final_at for life in lives),
    )
