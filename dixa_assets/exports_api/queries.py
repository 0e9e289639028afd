"""Requests as data: which parameters to send, which windows to filter to, and how to halve one.

A window query names one axis (the filter whose window may be cut into pieces, e.g. ``updated``);
its other windows are repeated in every piece. A csids query has no axis and cannot be cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from dixa_assets.exports_api.windows import DAY_MS, Window

HOUR_MS = 3_600_000
MAX_CSIDS_PER_REQUEST = 10


@dataclass(frozen=True)
class Query:
    params: dict[str, str]
    filters: dict[str, Window]  # record field -> window the record must fall in
    windows: dict[str, Window]  # filter name -> window, as asked
    axis: str | None

    @property
    def window(self) -> Window | None:
        """The piece of the split window this query covers."""
        return self.windows[self.axis] if self.axis else None

    def can_halve(self, smallest_ms: int = HOUR_MS) -> bool:
        """Whether both halves would still span at least ``smallest_ms``."""
        window = self.window
        return window is not None and window.span_ms >= 2 * smallest_ms

    def halves(self) -> tuple[Query, Query]:
        window = self.window
        assert window is not None and self.axis is not None
        middle = window.start_ms + window.span_ms // 2
        first, second = Window(window.start_ms, middle), Window(middle, window.end_ms)
        return (
            window_query({**self.windows, self.axis: first}, self.axis),
            window_query({**self.windows, self.axis: second}, self.axis),
        )


def window_query(windows: Mapping[str, Window], axis: str) -> Query:
    params: dict[str, str] = {}
    for name, window in windows.items():
        after, before = window.request_bounds()
        params[f"{name}_after"] = str(after)
        params[f"{name}_before"] = str(before)
    filters = {f"{name}_at": w for name, w in windows.items()}
    return Query(params, filters, dict(windows), axis)


def csids_queries(csids: Sequence[int]) -> Iterator[Query]:
    """Ten csids a request, the API's maximum."""
    size = MAX_CSIDS_PER_REQUEST
    for i in range(0, len(csids), size):
        chunk = ",".join(str(int(c)) for c in csids[i : i + size])
        yield Query({"csids": chunk}, {}, {}, None)


def limit_ms(max_window_days: int) -> int:
    """The longest window whose padded request bounds stay within ``max_window_days``."""
    return max_window_days * DAY_MS - 1


def next_piece(cursor: int, end: int, limit: int) -> Window:
    """From ``cursor``, the next of equal pieces of at most ``limit`` covering ``[cursor, end)``.

    Equal pieces keep responses similar in size; a limit that shrinks mid-range (after a split)
    applies from the next piece on.
    """
    remaining = end - cursor
    count = max(1, math.ceil(remaining / limit))
    return Window(cursor, cursor + remaining // count if count > 1 else end)


def split_axis(windows: Mapping[str, Window], limit: int) -> str:
    """The window to cut into pieces: the one longer than ``limit``, else the first given."""
    long = [name for name, w in windows.items() if w.span_ms > limit]
    if len(long) > 1:
        raise ValueError(f"only one window may exceed the API's limit, got {long}")
    return long[0] if long else next(iter(windows))


def plan_pieces(
    windows: Mapping[str, Window], axis: str, limit: Callable[[], int]
) -> Iterator[Query]:
    """Pieces of the axis window, each sized by the ``limit()`` in force when it is planned."""
    whole = windows[axis]
    cursor = whole.start_ms
    while cursor < whole.end_ms:
        piece = next_piece(cursor, whole.end_ms, limit())
        yield window_query({**windows, axis: piece}, axis)
        cursor = piece.end_ms


def describe(params: Mapping[str, str]) -> str:
    """The query string, for messages (it never holds the token)."""
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())
