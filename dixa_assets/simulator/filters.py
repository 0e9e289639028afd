"""Query parsing, validation and filter semantics of the two export endpoints.

The rules come from Dixa's Exports API guide (see field-notes): dates are Unix ms or `yyyy-mm-dd`,
a request needs at least one `*_after` and one `*_before` (or `csids`), no after/before pair may
span more than 31 days, and at most 10 csids. Whether `_after`/`_before` are inclusive is not
documented, so the bound semantics are a parameter: clients are tested against each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from urllib.parse import parse_qsl

from dixa_assets.simulator.utc import DAY_MS, day_start_ms

Bounds = Literal["inclusive", "exclusive", "half_open"]
BOUNDS: tuple[Bounds, ...] = ("inclusive", "exclusive", "half_open")
MAX_WINDOW_MS = 31 * DAY_MS
MAX_CSIDS = 10
CONVERSATION_DATE_FIELDS = ("closed_at", "created_at", "updated_at", "last_message_created_at")
MESSAGE_DATE_FIELDS = ("created_at",)

_MS = re.compile(r"\d{1,16}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CSIDS = re.compile(r"\d{1,10}(,\d{1,10})*")


class QueryError(Exception):
    """A request the real API would refuse: `status` is 400 or 422, `message` goes in the body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldRange:
    """`field` filtered by its `_after` and/or `_before` parameter (Unix ms)."""

    field: str
    after: int | None
    before: int | None

    def admits(self, value: Any, bounds: Bounds) -> bool:
        """Whether `value` passes; an absent or null field never does."""
        if value is None:
            return False
        if self.after is not None and (
            value <= self.after if bounds == "exclusive" else value < self.after
        ):
            return False
        return self.before is None or (
            value <= self.before if bounds == "inclusive" else value < self.before
        )


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """A validated export request: every range and the csid list must all match (AND)."""

    ranges: tuple[FieldRange, ...]
    csids: tuple[int, ...] | None

    def matches(self, record: Mapping[str, Any], bounds: Bounds) -> bool:
        """Whether the API returns `record` for this query."""
        if self.csids is not None and record.get("id") not in self.csids:
            return False
        return all(r.admits(record.get(r.field), bounds) for r in self.ranges)

    def creation_span(self, lag_ms: int, bounds: Bounds) -> tuple[int | None, int | None]:
        """Inclusive bounds on `created_at` of any record that can match (None: unbounded).

        Any later event of a conversation happens within `lag_ms` of its creation, so a range on
        another field bounds creation to [after - lag, before]. Exclusive ends are tightened by
        1 ms so that a window ending at midnight does not generate the next day.
        """
        first: int | None = None
        last: int | None = None
        for r in self.ranges:
            lead = 0 if r.field == "created_at" else lag_ms
            if r.after is not None:
                after = r.after + (1 if bounds == "exclusive" else 0) - lead
                first = after if first is None else max(first, after)
            if r.before is not None:
                before = r.before - (0 if bounds == "inclusive" else 1)
                last = before if last is None else min(last, before)
        return first, last


def parse_query_string(query: str) -> dict[str, str]:
    """Query parameters by name; a parameter given twice is refused rather than guessed."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in params:
            raise QueryError(400, f"Parameter {name} was given more than once")
        params[name] = value
    return params


def parse_date(name: str, raw: str) -> int:
    """A date parameter as Unix ms: digits are ms, `yyyy-mm-dd` is that day's UTC midnight."""
    if _MS.fullmatch(raw):
        return int(raw)
    if _DAY.fullmatch(raw):
        try:
            return day_start_ms(date.fromisoformat(raw))
        except ValueError:
            pass
    raise QueryError(
        400, f"Invalid value for parameter {name}: expected yyyy-mm-dd or Unix timestamp in ms"
    )


def _parse_csids(raw: str) -> tuple[int, ...]:
    if not _CSIDS.fullmatch(raw):
        raise QueryError(400, "Invalid value for parameter csids: expected comma separated ids")
    csids = tuple(int(part) for part in raw.split(","))
    if len(csids) > MAX_CSIDS:
        raise QueryError(422, f"Exceeded max allowed {MAX_CSIDS} csids per request")
    return csids


def _parse(params: Mapping[str, str], fields: tuple[str, ...], allow_csids: bool) -> ExportQuery:
    ranges = []
    for field in fields:
        stem = field.removesuffix("_at")
        after_name, before_name = f"{stem}_after", f"{stem}_before"
        after = parse_date(after_name, params[after_name]) if after_name in params else None
        before = parse_date(before_name, params[before_name]) if before_name in params else None
        if after is not None and before is not None and before - after > MAX_WINDOW_MS:
            raise QueryError(
                400,
                f"The window between {after_name} and {before_name} exceeds the max window "
                "of 31 days",
            )
        if after is not None or before is not None:
            ranges.append(FieldRange(field, after, before))
    csids = _parse_csids(params["csids"]) if allow_csids and "csids" in params else None
    has_after = any(r.after is not None for r in ranges)
    has_before = any(r.before is not None for r in ranges)
    if csids is None and not (has_after and has_before):
        raise QueryError(
            400,
            "At least one *_after and one *_before parameter, or csids, is required",
        )
    return ExportQuery(tuple(ranges), csids)


def parse_conversation_query(params: Mapping[str, str]) -> ExportQuery:
    """Validate `/v1/conversation_export` parameters (unknown parameters are ignored)."""
    return _parse(params, CONVERSATION_DATE_FIELDS, allow_csids=True)


def parse_message_query(params: Mapping[str, str]) -> ExportQuery:
    """Validate `/v1/message_export` parameters: only `created_after`/`created_before`, which
    filter the message's own `created_at`."""
    return _parse(params, MESSAGE_DATE_FIELDS, allow_csids=False)
