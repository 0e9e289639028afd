"""The `outside_window` fault: the real answer plus records the request did not ask for.

An API whose `_after`/`_before` bounds are inclusive returns records lying exactly on them, and a
misbehaving one may return records far outside them. Clients pad each bound by 1 ms and must keep
exactly their window: records on the bounds belong to the neighbouring window (edges), records
beyond them should never have come (strays). The added records are copies of the answer's first
record with new ids, so they are valid records a client would otherwise store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from dixa_assets.simulator.api import CONVERSATION_EXPORT
from dixa_assets.simulator.filters import parse_conversation_query, parse_message_query
from dixa_assets.simulator.utc import DAY_MS
from dixa_assets.simulator.wire import dumps

# Where each added record lies, relative to the request's bounds, in the order they are added.
PLACES = ("edge_after", "edge_before", "stray_before_after", "stray_after_before")
_STRAY_ID_BASE = 900_000_000_000


def add_records_outside_window(path: str, params: Mapping[str, str], body: bytes) -> bytes:
    """`body` (a 200's JSON array) with one record on each bound of every filtered field and
    one a day beyond each bound; unchanged when the answer is empty or has no window."""
    records: list[dict[str, Any]] = orjson.loads(body)
    parse = parse_conversation_query if path == CONVERSATION_EXPORT else parse_message_query
    ranges = parse(params).ranges
    if not records or not ranges:
        return body
    template = records[0]
    for index, place in enumerate(PLACES):
        record = dict(template, id=_new_id(template["id"], index, place))
        for r in ranges:
            low = r.after if r.after is not None else r.before
            high = r.before if r.before is not None else r.after
            record[r.field] = {
                "edge_after": low,
                "edge_before": high,
                "stray_before_after": low - DAY_MS,
                "stray_after_before": high + DAY_MS,
            }[place]
        records.append(record)
    return dumps(records)


def _new_id(template_id: Any, index: int, place: str) -> Any:
    """An id no real record has, of the same JSON type as the template's."""
    if isinstance(template_id, int):
        return _STRAY_ID_BASE + template_id * len(PLACES) + index
    return f"{template_id}-{place}"
