"""What both Dixa API clients agree on: which failures are transient, how long to wait before
trying again, where a token may travel, and how a response is quoted in an error.

Dagster-free and shared by :mod:`dixa_assets.exports_api` and :mod:`dixa_assets.main_api`, so the
two clients cannot drift apart on these rules.
"""

from __future__ import annotations

import email.utils
import ipaddress
import random
import time
from typing import Any

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
EXCERPT_CHARS = 200


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def jittered_backoff(attempt: int, base_s: float, cap_s: float) -> float:
    """Full-jitter exponential backoff: spreads retries of concurrent callers apart."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (plain http is allowed only there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def json_kind(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages users read."""
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def excerpt(body: bytes) -> str:
    """The start of a response body, quoted for an error message."""
    text = body[:EXCERPT_CHARS].decode("utf-8", errors="replace").replace("\n", " ")
    return repr(text + ("..." if len(body) > EXCERPT_CHARS else ""))


def served_at_ms(date_header: str | None, asked_ms: int) -> int:
    """The server's ``Date`` in epoch ms (whole seconds, so never later than its clock was),
    or ``asked_ms`` when the header is missing or unreadable: how far a window reaching past
    "now" was fetched."""
    if date_header:
        try:
            return int(email.utils.parsedate_to_datetime(date_header).timestamp()) * 1000
        except (TypeError, ValueError):
            pass
    return asked_ms
