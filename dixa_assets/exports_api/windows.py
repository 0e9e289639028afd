"""Half-open time windows in epoch milliseconds, and how they become API requests.

The Exports API documents neither whether ``*_after``/``*_before`` are inclusive nor exactly how
the 31-day limit is measured. We therefore ask for one millisecond more on each side
(``after = start - 1``, ``before = end``) and filter to ``[start, end)`` ourselves: whichever the
server's semantics, every record in the window comes back, and none outside it is kept.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, datetime

DAY_MS = 86_400_000
MAX_WINDOW_DAYS = 31
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Window:
    """The half-open interval ``[start_ms, end_ms)`` of Unix epoch milliseconds."""

    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if self.end_ms <= self.start_ms:
            raise ValueError(f"empty window: end {self.end_ms} <= start {self.start_ms}")

    @classmethod
    def between(cls, start: datetime, end: datetime) -> Window:
        """The window from two timezone-aware datetimes (a Dagster partition time window)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware datetimes")
        return cls(to_epoch_ms(start), to_epoch_ms(end))

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms

    def request_bounds(self) -> tuple[int, int]:
        """The ``(after, before)`` to send: one ms wider than the window on each side."""
        return self.start_ms - 1, self.end_ms

    def split(self, max_days: int = MAX_WINDOW_DAYS) -> list[Window]:
        """Contiguous pieces whose request bounds each span at most ``max_days`` days.

        Pieces are of equal length (to the millisecond), which keeps their responses similar in
        size; the padding of :meth:`request_bounds` is accounted for.
        """
        limit = max_days * DAY_MS - 1
        count = max(1, math.ceil(self.span_ms / limit))
        edges = [self.start_ms + (self.span_ms * i) // count for i in range(count + 1)]
        return [Window(a, b) for a, b in itertools.pairwise(edges)]


def to_epoch_ms(moment: datetime) -> int:
    """Exact epoch milliseconds of an aware datetime (no float rounding)."""
    delta = moment - EPOCH
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000
