"""The main API's date-times: what it sends (``activityTimestamp``) and what it is sent.

The spec's example is ``2021-12-01T12:46:36.581Z[GMT]``, clients have seen plain ``...Z``, and
Java's ``Instant`` drops a zero fraction; all are read to exact epoch milliseconds. Parameters go
out as ``yyyy-MM-ddTHH:mm:ssZ`` (with ``.SSS`` only when the instant has milliseconds).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FORM = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})(?:\[[A-Za-z0-9_/+-]+\])?"
)


def parse_timestamp(value: object) -> int:
    """Epoch ms of an ``activityTimestamp``; ValueError if it is not one of the known forms or
    has sub-millisecond digits that would be lost."""
    if not isinstance(value, str) or not (match := _FORM.fullmatch(value.strip())):
        raise ValueError(f"not an ISO-8601 date-time: {value!r}")
    fraction = match["fraction"] or ""
    if fraction[3:].strip("0"):
        raise ValueError(f"more precision than milliseconds: {value!r}")
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    moment = datetime.fromisoformat(match["base"] + zone)
    return int(moment.timestamp()) * 1000 + int((fraction + "000")[:3])


def format_param(ms: int) -> str:
    """A ``fromDatetime``/``toDatetime`` value for epoch ms."""
    text = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")
