"""What both API clients do before their first request: refuse to send the token in clear text
beyond this machine, and open the httpx client they send everything through."""

from __future__ import annotations

from typing import Any

import httpx

from .policy import is_loopback

CONNECT_TIMEOUT_S = 30.0
"""Connecting is capped apart from reading: a host that does not answer at all fails fast even
when a whole export may take minutes to read."""


# Both APIs take the same token; a run without it fails its first step with this one line.
MISSING_TOKEN = (
    "DIXA_API_TOKEN is not set: create an API token in Dixa (Settings -> Integrations -> "
    "API tokens, as an admin) and export DIXA_API_TOKEN=<token>."
)


def refuse_clear_text(base_url: str, allow_insecure_http: bool, error: type[Exception]) -> None:
    """Raise ``error`` for ``http://`` to a host other than loopback, unless allowed."""
    url = httpx.URL(base_url)
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise error(
            f"Refusing to send the API token in clear text to {url.host}: use https, or "
            "allow insecure HTTP explicitly."
        )


def open_http(
    timeout_s: float,
    transport: httpx.BaseTransport | None,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> httpx.Client:
    """An httpx client asking for JSON, with the read timeout given (``options``: httpx's own,
    e.g. ``base_url``, ``limits``)."""
    return httpx.Client(
        headers={**(headers or {}), "Accept": "application/json"},
        timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
        transport=transport,
        **options,
    )
