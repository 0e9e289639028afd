"""The simulator's log of export requests, exact whenever a test looks at it.

A request is counted from the moment it arrives and its entry is appended once its response has
been written. Two races follow from that order, and both made tests flaky under load: the client
can have its whole answer before the server thread appends the entry (a test reading the log at
once misses its own request), and an entry of the previous test can be appended after the next
test has reset the log (it sees one request too many). So a reset forgets every request that
arrived before it, even one still being answered, and reading the log waits until every request
that arrived since the reset has its entry. The log also records how many export requests were
in flight at once, which is how tests see a client's concurrency from the server's side.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

# Reading waits at most this long for requests still being answered (a slow fault sleeps).
SETTLE_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One request: `status` 0 means the connection was dropped without a response;
    `response_bytes` counts body bytes actually sent; `fault` is the injected kind, if any;
    `in_flight` counts the export requests being answered when it arrived, itself included."""

    endpoint: str
    params: dict[str, str]
    status: int
    response_bytes: int
    timestamp: float
    fault: str | None
    in_flight: int = 1


@dataclass(frozen=True, slots=True)
class Arrival:
    """An export request being answered: the log's generation it arrived in, and the
    concurrency it found."""

    generation: int
    in_flight: int


class RequestLog:
    """Thread-safe: handler threads append, tests read and reset."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._entries: list[RequestLogEntry] = []
        self._generation = 0
        self._unlogged = 0  # arrived in this generation, entry not yet appended
        self._in_flight = 0  # being answered, whatever their generation
        self._received = 0  # export requests arrived in this generation

    @contextlib.contextmanager
    def export_request(self) -> Iterator[Arrival]:
        """Count one export request in flight while the caller answers it."""
        with self._changed:
            self._in_flight += 1
            self._unlogged += 1
            self._received += 1
            arrival = Arrival(self._generation, self._in_flight)
        try:
            yield arrival
        finally:
            with self._changed:
                self._in_flight -= 1
                if arrival.generation == self._generation:
                    self._unlogged -= 1
                self._changed.notify_all()

    def append(self, entry: RequestLogEntry, arrival: Arrival | None = None) -> None:
        """Log `entry`, unless the log was reset after its request arrived."""
        with self._changed:
            if arrival is None or arrival.generation == self._generation:
                self._entries.append(entry)

    def entries(self) -> list[RequestLogEntry]:
        """Every request since the last reset, waiting for those still being answered."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        with self._changed:
            while self._unlogged and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return list(self._entries)

    @property
    def export_requests_received(self) -> int:
        """Export requests that arrived since the last reset, answered or not (never waits)."""
        with self._changed:
            return self._received

    def reset(self) -> None:
        """Forget every request so far, including those still being answered."""
        with self._changed:
            self._entries.clear()
            self._generation += 1
            self._unlogged = 0
            self._received = 0
