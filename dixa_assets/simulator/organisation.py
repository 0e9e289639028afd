"""The synthetic Dixa organisation: its clock, its generated days, and queries over its state.

Conversations are generated per UTC creation day and cached, so only the days a query can touch
are ever built. Because every event of a conversation happens within `max_update_lag_days` of its
creation, a window over `updated_at` (or `closed_at`, `last_message_created_at`, or a message's
`created_at`) needs only the creation days from `window_start - lag` to `window_end`.

Conversation ids are `FIRST_CONVERSATION_ID + day_offset * conversations_per_day + n`, with
`day_offset` counted from `history_start` and `n` the rank by creation time within the day: ids
increase with creation time, a day's ids are known without generating earlier days, and a csid
maps straight back to its creation day. They stay within int32 for over 50 years at 100k/day.

Returned records are the cached dicts the API serializes; callers must not mutate them.
"""

from __future__ import annotations

import gc
import heapq
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date

from dixa_assets.simulator.anonymization import Anonymizations
from dixa_assets.simulator.catalogue import Catalogue, build_catalogue
from dixa_assets.simulator.conversation_shapes import TAGS_INFO_SHAPES, TagsInfoShape
from dixa_assets.simulator.lifecycle import Record
from dixa_assets.simulator.synthesis import Day, DayShape, generate_day
from dixa_assets.simulator.utc import DAY_MS, day_start_ms, epoch_day

FIRST_CONVERSATION_ID = 10_000
TRUTH_FIELDS = ("created_at", "updated_at", "closed_at", "last_message_created_at")


class Organisation:
    """A deterministic synthetic organisation whose visible state depends on its clock.

    `now_ms=None` follows the wall clock at each call; tests pin it (and move it) explicitly.
    Conversations are created from `history_start` through `history_end` (None: no end), which
    lets a benchmark hold exactly one big day. Up to `cached_days` generated days are kept (LRU).
    `tags_info_shape="objects"` gives every `tags_info` item the object shape (see
    `TAGS_INFO_SHAPES`) and changes nothing else, so a client that crashes on the reference's
    strings can be measured on otherwise identical data.
    """

    def __init__(
        self,
        seed: int = 7,
        conversations_per_day: int = 40,
        messages_per_conversation: float = 4.0,
        history_start: date = date(2024, 1, 1),
        max_update_lag_days: int = 5,
        unknown_field_rate: float = 0.02,
        now_ms: int | None = None,
        *,
        history_end: date | None = None,
        cached_days: int = 366,
        tags_info_shape: TagsInfoShape = "mixed",
    ) -> None:
        if conversations_per_day < 1:
            raise ValueError("conversations_per_day must be at least 1")
        if messages_per_conversation < 1.0:
            raise ValueError("messages_per_conversation must be at least 1")
        if max_update_lag_days < 1:
            raise ValueError("max_update_lag_days must be at least 1")
        if history_end is not None and history_end < history_start:
            raise ValueError("history_end must not precede history_start")
        if not 0.0 <= unknown_field_rate <= 1.0:
            raise ValueError("unknown_field_rate must be within [0, 1]")
        if tags_info_shape not in TAGS_INFO_SHAPES:
            raise ValueError(f"tags_info_shape must be one of {', '.join(TAGS_INFO_SHAPES)}")
        self.seed = seed
        self.conversations_per_day = conversations_per_day
        self.history_start = history_start
        self.history_end = history_end
        self.lag_ms = max_update_lag_days * DAY_MS
        self._first_day = epoch_day(day_start_ms(history_start))
        self._last_day = None if history_end is None else epoch_day(day_start_ms(history_end))
        self._shape = DayShape(
            seed=seed,
            conversations_per_day=conversations_per_day,
            messages_per_conversation=messages_per_conversation,
            lag_ms=self.lag_ms,
            unknown_field_rate=unknown_field_rate,
            first_org_id=FIRST_CONVERSATION_ID,
            tags_info_shape=tags_info_shape,
        )
        self._catalogue = build_catalogue(seed)
        self._now_ms = now_ms
        self._cached_days = cached_days
        self._days: OrderedDict[int, Day] = OrderedDict()
        self._lock = threading.Lock()
        self.anonymizations = Anonymizations(self)
        """End users anonymized (see :mod:`.anonymization`); applied to every answer."""

    @property
    def history_start_ms(self) -> int:
        return self._first_day * DAY_MS

    @property
    def now_ms(self) -> int:
        """The organisation's clock: the pinned value, or the wall clock when unpinned."""
        pinned = self._now_ms
        return int(time.time() * 1000) if pinned is None else pinned

    @now_ms.setter
    def now_ms(self, value: int | None) -> None:
        self._now_ms = value

    def set_now(self, now_ms: int | None) -> None:
        """Pin the clock to `now_ms` (None: follow the wall clock again)."""
        self._now_ms = now_ms

    # Ground truth: half-open windows, state as of now.

    def conversations(self, start_ms: int, end_ms: int, field: str = "updated_at") -> list[Record]:
        """Current-state conversations whose `field` lies in [start_ms, end_ms), by id."""
        if field not in TRUTH_FIELDS:
            raise ValueError(f"field must be one of {', '.join(TRUTH_FIELDS)}")
        now = self.now_ms
        first = start_ms if field == "created_at" else start_ms - self.lag_ms
        candidates = self.conversations_created(first, end_ms - 1, now_ms=now)
        # An anonymization that moved updated_at may lie beyond the update lag.
        if moved := self.anonymizations.moved(now):
            seen = {record["id"] for record in candidates}
            candidates = sorted(
                [*candidates, *(r for r in moved if r["id"] not in seen)], key=lambda r: r["id"]
            )
        return [
            record
            for record in candidates
            if (value := record.get(field)) is not None and start_ms <= value < end_ms
        ]

    def messages(self, start_ms: int, end_ms: int) -> list[Record]:
        """Messages created in [start_ms, end_ms) that exist as of now, by (created_at, id)."""
        return self.messages_created(start_ms, end_ms - 1)

    def conversation(self, csid: int) -> Record | None:
        """Current state of conversation `csid`, or None if it does not exist (yet)."""
        found = self.conversations_by_id([csid])
        return found[0] if found else None

    # Candidate sets for the API (inclusive on both ends; the API applies its own bounds).

    def conversations_created(
        self, first_ms: int, last_ms: int, *, now_ms: int | None = None, original: bool = False
    ) -> list[Record]:
        """Conversations created in [first_ms, last_ms] that exist at `now_ms`, by id
        (`original`: as generated, without the anonymizations in effect)."""
        now = self.now_ms if now_ms is None else now_ms
        last_ms = min(last_ms, now)
        records: list[Record] = []
        for day in self._days_between(first_ms, last_ms):
            lo = bisect_left(day.created, first_ms)
            hi = bisect_right(day.created, last_ms)
            if now >= day.settled_at:
                records.extend(life.final for life in day.lives[lo:hi])
            else:
                records.extend(
                    state for life in day.lives[lo:hi] if (state := life.state_at(now)) is not None
                )
        return records if original else self.anonymizations.conversations(records, now)

    def conversations_by_id(
        self, csids: Iterable[int], *, now_ms: int | None = None, original: bool = False
    ) -> list[Record]:
        """The conversations among `csids` that exist at `now_ms`, by id."""
        now = self.now_ms if now_ms is None else now_ms
        records = []
        for csid in sorted(set(csids)):
            offset, rank = divmod(csid - FIRST_CONVERSATION_ID, self.conversations_per_day)
            index = self._first_day + offset
            if (
                csid < FIRST_CONVERSATION_ID
                or index * DAY_MS > now
                or (self._last_day is not None and index > self._last_day)
            ):
                continue
            day = self._day(index)
            state = day.lives[rank].state_at(now)
            if state is not None:
                records.append(state)
        return records if original else self.anonymizations.conversations(records, now)

    def messages_created(
        self, first_ms: int, last_ms: int, *, now_ms: int | None = None, original: bool = False
    ) -> list[Record]:
        """Messages created in [first_ms, last_ms] that exist at `now_ms`, by (created_at, id)."""
        now = self.now_ms if now_ms is None else now_ms
        last_ms = min(last_ms, now)
        slices = []
        for day in self._days_between(first_ms - self.lag_ms, last_ms):
            lo = bisect_left(day.message_created, first_ms)
            hi = bisect_right(day.message_created, last_ms)
            if hi > lo:
                slices.append(day.messages[lo:hi])
        if len(slices) == 1:
            messages = slices[0]
        else:
            messages = list(heapq.merge(*slices, key=lambda m: (m["created_at"], m["id"])))
        return messages if original else self.anonymizations.messages(messages, now)

    def is_settled(self, last_created_ms: int, now_ms: int) -> bool:
        """Whether conversations created up to `last_created_ms` can no longer change after
        `now_ms` (their creation day plus the update lag lies in the past)."""
        return (epoch_day(last_created_ms) + 1) * DAY_MS + self.lag_ms <= now_ms

    @property
    def catalogue(self) -> Catalogue:
        """The organisation's cast (agents, queues, tags, end users)."""
        return self._catalogue

    def days_between(self, first_ms: int, last_ms: int) -> list[Day]:
        """The generated creation days that hold any instant of [first_ms, last_ms]."""
        return self._days_between(first_ms, last_ms)

    def _days_between(self, first_ms: int, last_ms: int) -> list[Day]:
        if last_ms < first_ms:
            return []
        first = max(epoch_day(first_ms), self._first_day)
        last = epoch_day(last_ms)
        if self._last_day is not None:
            last = min(last, self._last_day)
        return [self._day(index) for index in range(first, last + 1)]

    def _day(self, index: int) -> Day:
        with self._lock:
            day = self._days.get(index)
            if day is None:
                first_id = (
                    FIRST_CONVERSATION_ID + (index - self._first_day) * self.conversations_per_day
                )
                day = _generate_without_gc(self._catalogue, self._shape, index, first_id)
                self._days[index] = day
                while len(self._days) > self._cached_days:
                    self._days.popitem(last=False)
            else:
                self._days.move_to_end(index)
            return day


def _generate_without_gc(catalogue: Catalogue, shape: DayShape, index: int, first_id: int) -> Day:
    """Generate a day with the cyclic GC paused: a day is millions of fresh dicts, none of them
    garbage, and repeated full collections over them would double the generation time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return generate_day(catalogue, shape, index, first_id)
    finally:
        if was_enabled:
            gc.enable()
