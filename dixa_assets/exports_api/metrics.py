"""What the calls of one client cost: counted by the client, reported by the assets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallMetrics:
    """What the calls of one client cost; the assets report these as metadata."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    seconds: float = 0.0
    waited_seconds: float = 0.0
    records: int = 0
    edge_records: int = 0
    stray_records: int = 0
    window_splits: int = 0
    smallest_window_hours: float | None = None
    status_counts: dict[str, int] = field(default_factory=dict)

    def count_request(self, waited: float, seconds: float, size: int, outcome: str) -> None:
        """One request: its pacing wait, its time, the body bytes read and how it ended
        (a status code or an exception's name). Not thread-safe: callers hold their lock."""
        self.requests += 1
        self.bytes += size
        self.seconds += seconds
        self.waited_seconds += waited
        if outcome:
            self.status_counts[outcome] = self.status_counts.get(outcome, 0) + 1

    def count_split(self, span_hours: float) -> None:
        """A piece halved into pieces of ``span_hours``. Not thread-safe, as above."""
        self.window_splits += 1
        hours = round(span_hours, 2)
        smallest = self.smallest_window_hours
        self.smallest_window_hours = hours if smallest is None else min(smallest, hours)

    def count_records(self, kept: int, edges: int, strays: int) -> None:
        """One answer's records: kept, on the padded edges, outside. Not thread-safe, as above."""
        self.records += kept
        self.edge_records += edges
        self.stray_records += strays

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "waited_seconds": round(self.waited_seconds, 3),
            "records": self.records,
            "edge_records": self.edge_records,
            "stray_records": self.stray_records,
            "window_splits": self.window_splits,
            "smallest_window_hours": self.smallest_window_hours,
            "status_counts": dict(sorted(self.status_counts.items())),
        }
