"""A client-side request pacer, shared by every thread of one client.

The Exports API allows about 10 requests a minute and does not publish the rule, so the pacer
enforces the strictest reading, a sliding window: at most ``burst`` request starts in any
``burst * 60 / per_minute`` seconds. With ``burst=1`` (the default) that is even spacing, which can
never exceed ``per_minute`` in any minute however the server counts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RequestPacer:
    """Blocks each caller until its request may start."""

    def __init__(
        self,
        per_minute: float | None,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute is not None and per_minute <= 0:
            raise ValueError("per_minute must be positive, or None for no limit")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._span = 0.0 if per_minute is None else burst * 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: deque[float] = deque(maxlen=burst)
        self._not_before = float("-inf")

    def acquire(self) -> float:
        """Wait for a slot; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._not_before)
            if self._span and len(self._starts) == self._starts.maxlen:
                start = max(start, self._starts[0] + self._span)
            if self._starts:
                start = max(start, self._starts[-1])
            self._starts.append(start)
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def defer(self, seconds: float) -> None:
        """Start no request for ``seconds``: the server asked for it (``Retry-After``)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)
