"""Which export requests fail, and how: a scripted queue plus a seeded random plan.

Scripted faults make a test's story exact ("the next two message requests get a 503"); the random
plan gives soak tests a reproducible stream of failures (each export request draws once from a
seeded RNG, so the same request sequence gets the same faults). The server decides how each kind
is acted out on the wire.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS: tuple[str, ...] = (
    "429", "500", "502", "503", "504", "slow", "drop", "drop_mid_body", "truncate",
    "html_200", "object_200", "payload_200", "401", "403", "404", "400", "outside_window",
)  # fmt: skip

RETRY_AFTER_FORMATS = ("seconds", "http-date", "absent")
_DEFAULTS: dict[str, dict[str, Any]] = {
    "429": {"retry_after": 1, "retry_after_format": "seconds"},
    "slow": {"seconds": 5.0},
    "400": {"message": "Bad request"},
    "payload_200": {"payload": []},
}
"""Parameters each kind accepts, with their defaults; other kinds take none."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault to act out. `params` are the kind's parameters with defaults filled in:
    429: `retry_after` (seconds) and `retry_after_format` (seconds | http-date | absent);
    slow: `seconds` to sleep before answering normally; 400: `message`;
    payload_200: `payload`, any JSON value to answer with instead of the real records (hostile
    input: missing fields, wrong types, duplicate ids, huge or odd strings); outside_window: the
    real records plus records on and beyond the request's bounds (see `outside_window`)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


def make_fault(kind: str, params: Mapping[str, Any]) -> Fault:
    """Validate `kind` and `params` and fill in defaults."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    accepted = _DEFAULTS.get(kind, {})
    unknown = set(params) - set(accepted)
    if unknown:
        raise ValueError(f"fault {kind!r} takes no parameter(s) {', '.join(sorted(unknown))}")
    merged = {**accepted, **params}
    if merged.get("retry_after_format", "seconds") not in RETRY_AFTER_FORMATS:
        raise ValueError(f"retry_after_format must be one of {', '.join(RETRY_AFTER_FORMATS)}")
    return Fault(kind, merged)


def normalize_endpoint(endpoint: str | None) -> str | None:
    """`conversation_export`, `/v1/conversation_export` and friends all name the same path."""
    if endpoint is None:
        return None
    return "/v1/" + endpoint.removeprefix("/").removeprefix("v1/")


class FaultPlan:
    """Thread-safe fault schedule consulted once per export request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[str | None, Fault]] = deque()
        self._rate = 0.0
        self._rng = random.Random(0)
        self._random_faults: tuple[Fault, ...] = ()
        self._counts: Counter[str] = Counter()

    def inject(self, kind: str, count: int = 1, endpoint: str | None = None, **params: Any) -> None:
        """Give the next `count` export requests to `endpoint` (None: either) fault `kind`."""
        fault = make_fault(kind, params)
        path = normalize_endpoint(endpoint)
        with self._lock:
            self._queue.extend((path, fault) for _ in range(count))

    def set_random(self, rate: float, seed: int, kinds: Sequence[str], **params: Any) -> None:
        """Fail each export request with probability `rate`, the kind drawn uniformly from
        `kinds`; `params` apply to every kind that accepts them."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if rate > 0 and not kinds:
            raise ValueError("kinds must not be empty")
        faults = tuple(
            make_fault(kind, {k: v for k, v in params.items() if k in _DEFAULTS.get(kind, {})})
            for kind in kinds
        )
        with self._lock:
            self._rate = rate
            self._rng = random.Random(seed)
            self._random_faults = faults

    def clear(self) -> None:
        """Drop scripted faults and the random plan; counts of injected faults are kept."""
        with self._lock:
            self._queue.clear()
            self._rate = 0.0
            self._random_faults = ()

    def next_fault(self, endpoint: str) -> Fault | None:
        """The fault for this export request, if any: the first scripted one that matches
        `endpoint`, otherwise one draw from the random plan."""
        with self._lock:
            fault = None
            for index, (path, scripted) in enumerate(self._queue):
                if path is None or path == endpoint:
                    del self._queue[index]
                    fault = scripted
                    break
            if fault is None and self._rate > 0 and self._rng.random() < self._rate:
                fault = self._random_faults[self._rng.randrange(len(self._random_faults))]
            if fault is not None:
                self._counts[fault.kind] += 1
            return fault

    @property
    def injected(self) -> dict[str, int]:
        """How many faults of each kind have been acted out so far."""
        with self._lock:
            return dict(self._counts)

    @property
    def pending(self) -> int:
        """Scripted faults not yet used."""
        with self._lock:
            return len(self._queue)
