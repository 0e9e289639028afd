"""Token-bucket rate limit of the export endpoints, answering 429 with a Retry-After.

A bucket (rather than a fixed window) lets a fractional limit such as 0.5 requests/minute work,
and makes Retry-After exact: the time until one whole token has been refilled. The burst is one
minute's allowance unless told otherwise; a burst of 1 is the strictest reading of the real API's
limit (requests evenly spaced), and tests scale the rate up to check a client's pacing in seconds.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`requests_per_minute` requests per minute, in bursts of up to `burst` requests
    (default: one minute's worth)."""

    def __init__(
        self,
        requests_per_minute: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        if burst is not None and burst < 1:
            raise ValueError("burst must be at least 1")
        self._rate = requests_per_minute / 60.0
        self._capacity = float(burst) if burst else max(1.0, requests_per_minute)
        self._tokens = self._capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> int | None:
        """Take a token: None if allowed, else the whole seconds to wait before retrying."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - self._tokens) / self._rate))
