"""A conversation's life history and its state as of a point in time.

The real API only ever shows the current state of a conversation. The simulator keeps the whole
history (creation record plus time-stamped patches plus message times) so the state as of any
clock value can be derived: fields appear only once their event has happened, `updated_at` is the
latest event so far, and `last_message_created_at` the latest message so far. That is what makes
re-querying after the clock moves return conversations whose `updated_at` moved.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]
Stamp = Callable[[int], int | float]

REMOVED: Any = object()
"""Patch value meaning "drop this key" (anonymization of a record whose style omits nulls)."""


@dataclass(slots=True)
class ConversationLife:
    """Everything that ever happens to one conversation, sorted by time.

    `stages` are (time, patch) pairs applied in order on top of `base`; `message_times` are the
    sorted creation times of its messages; `stamp` renders a `number(int64)` value the way this
    conversation's payloads spell it (int, float or exponent float).
    """

    created_at: int
    base: Record
    stages: list[tuple[int, Mapping[str, Any]]]
    stamp: Stamp
    message_times: list[int] = field(default_factory=list)
    final: Record = field(default_factory=dict)
    final_at: int = 0

    def settle(self) -> None:
        """Pre-compute the state after the last event; most queries are answered from it."""
        last_message = self.message_times[-1] if self.message_times else self.created_at
        last_stage = self.stages[-1][0] if self.stages else self.created_at
        self.final_at = max(self.created_at, last_message, last_stage)
        self.final = self._derive(self.final_at)

    def state_at(self, now_ms: int) -> Record | None:
        """The record as the API returns it at `now_ms`, or None if not yet created."""
        if now_ms >= self.final_at:
            return self.final
        if now_ms < self.created_at:
            return None
        return self._derive(now_ms)

    def _derive(self, now_ms: int) -> Record:
        record = dict(self.base)
        updated = self.created_at
        for time_ms, patch in self.stages:
            if time_ms > now_ms:
                break
            for key, value in patch.items():
                if value is REMOVED:
                    record.pop(key, None)
                else:
                    record[key] = value
            updated = time_ms
        seen = bisect_right(self.message_times, now_ms)
        if seen:
            last_message = self.message_times[seen - 1]
            record["last_message_created_at"] = self.stamp(last_message)
            updated = max(updated, last_message)
        record["updated_at"] = self.stamp(updated)
        return record
