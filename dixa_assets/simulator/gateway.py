"""A gateway in front of the simulated API that gives up on big answers, as real ones do.

The export has no pagination: a busy organisation's 31-day window is one huge response, and the
proxies in front of such APIs time out or cut the body long before it is complete. With a
gateway set, a response holding more than ``max_records`` records fails after ``delay_s``, in
the way ``failure`` names: a 504 or 502 page, or the body cut short (``truncate``: a complete
but shorter body; ``drop_mid_body``: half the promised body, then the connection closes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GATEWAY_FAILURES = ("504", "502", "truncate", "drop_mid_body")


@dataclass(frozen=True)
class Gateway:
    max_records: int
    delay_s: float = 0.0
    failure: str = "504"

    def __post_init__(self) -> None:
        if self.max_records < 0:
            raise ValueError("max_records must be >= 0")
        if self.delay_s < 0:
            raise ValueError("delay_s must be >= 0")
        if self.failure not in GATEWAY_FAILURES:
            raise ValueError(f"failure must be one of {', '.join(GATEWAY_FAILURES)}")

    @classmethod
    def from_json(cls, payload: dict[str, Any] | None) -> Gateway | None:
        """From the control endpoint's body; ``null`` or ``{}`` removes the gateway."""
        if not payload:
            return None
        unknown = set(payload) - {"max_records", "delay_s", "failure"}
        if unknown:
            raise ValueError(f"unknown gateway setting(s): {', '.join(sorted(unknown))}")
        return cls(
            int(payload["max_records"]),
            float(payload.get("delay_s", 0.0)),
            str(payload.get("failure", "504")),
        )

    def refuses(self, records: int) -> bool:
        return records > self.max_records
