"""What one failed attempt means: worth retrying (and whether the piece may be too big), or an
error that retrying cannot fix, raised with what the user should do next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from dixa_assets.exports_api.errors import (
    ApiUnreachable,
    AuthenticationError,
    MalformedResponse,
    RequestRejected,
)
from dixa_assets.exports_api.settings_checks import DEFAULT_BASE_URL
from dixa_assets.http_common.policy import RETRYABLE_STATUS, excerpt, json_kind, parse_retry_after

# Answers that suggest the response was too big to build or carry: the gateway gave up, the
# body stopped short. Seen twice for one piece, the piece is halved.
TOO_BIG_STATUS = frozenset({413, 502, 504})


@dataclass(frozen=True)
class Retry:
    """One failed attempt that may succeed later."""

    problem: str
    retry_after: float | None = None
    too_big: bool = False
    unreachable: bool = False


def refused(response: httpx.Response, body: bytes, where: str, base_url: str) -> Retry:
    """A non-200 answer: raise what retrying cannot fix, describe what it might."""
    status = response.status_code
    if status in (401, 403):
        raise AuthenticationError(
            f"The Dixa Exports API refused the token (HTTP {status}) on {where}. "
            "Check DIXA_API_TOKEN: it must be a valid admin API token "
            "(Dixa Settings -> Integrations -> API tokens)."
        )
    if status == 404:
        raise RequestRejected(
            f"{base_url} answered HTTP 404 (not found) to {where}: the base URL is "
            f"probably wrong. Check DIXA_API_BASE_URL (now {base_url!r}): unset, it "
            f"is {DEFAULT_BASE_URL}. Body: {excerpt(body)}",
            status,
        )
    if status not in RETRYABLE_STATUS | TOO_BIG_STATUS:
        raise RequestRejected(
            f"The Dixa Exports API rejected {where} with HTTP {status}: {excerpt(body)}",
            status,
        )
    return Retry(
        f"HTTP {status}: {excerpt(body)}",
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        too_big=status in TOO_BIG_STATUS,
    )


def transport_failure(exc: httpx.TransportError, mid_body: bool) -> Retry:
    """A request that got no whole answer; `mid_body`: a 200's body had begun."""
    problem = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.ConnectError):  # refused, unknown host, TLS: nothing was answered
        return Retry(problem, unreachable=True)
    # timeouts, and connections dropped before or mid-body
    return Retry(problem, too_big=mid_body or isinstance(exc, httpx.ReadTimeout))


def undecodable(exc: orjson.JSONDecodeError, head: bytes) -> Retry:
    """A 200 that is not valid JSON: cut short in transit, or an HTML page."""
    cut_short = head.lstrip()[:1] == b"["
    return Retry(f"invalid JSON ({exc}): {excerpt(head)}", too_big=cut_short)


def not_an_array(value: Any, where: str) -> MalformedResponse:
    return MalformedResponse(
        f"{where} answered 200 with a JSON {json_kind(value)}, not an array: "
        f"{excerpt(orjson.dumps(value))}"
    )


def unreachable(base_url: str, problem: str) -> ApiUnreachable:
    return ApiUnreachable(
        f"Cannot reach the Dixa Exports API at {base_url} "
        f"({problem}). Check DIXA_API_BASE_URL (now {base_url!r}): "
        f"unset, it is {DEFAULT_BASE_URL}."
    )
