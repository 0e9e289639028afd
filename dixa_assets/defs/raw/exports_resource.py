"""The Dagster resource over the Exports API client.

Configuration lives here (token from ``DIXA_API_TOKEN`` through ``EnvVar``, so the UI shows the
variable's name and never its value); the HTTP work lives in :mod:`dixa_assets.exports_api`.
"""

from __future__ import annotations

import logging
import os

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from dixa_assets.exports_api import DEFAULT_BASE_URL, ExportsClient

TOKEN_VARIABLE = "DIXA_API_TOKEN"


def token_from_environment() -> EnvVar | str:
    """The token as runs resolve it: ``EnvVar`` when the variable is set where definitions load
    (every run loads them again in its own process), so the UI shows its name, never its value.

    Unset, a Dagster ``EnvVar`` would fail the run before any step, in a long configuration
    error; an empty token instead fails the first step at once with one line saying what to set
    and where to get it (see :class:`~dixa_assets.exports_api.ExportsClient`).
    """
    return EnvVar(TOKEN_VARIABLE) if os.environ.get(TOKEN_VARIABLE) else ""


class DixaExportsResource(ConfigurableResource):
    """Dixa Exports API access: one client per step, closed when the step ends."""

    api_token: str = Field(description="Exports API token (set DIXA_API_TOKEN).")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="Base URL of the Exports API.")
    requests_per_minute: float = Field(
        default=10.0,
        description="Client-side pace toward the API (about 10/min is the real API's limit); "
        "0 disables pacing (for the simulator).",
    )
    max_concurrent_requests: int = Field(
        default=2, description="Requests in flight at once from one step."
    )
    timeout_seconds: float = Field(default=300.0, description="Read timeout of one request.")
    max_attempts: int = Field(
        default=6, description="Tries per request on 429, 5xx, timeouts and dropped connections."
    )
    backoff_seconds: float = Field(
        default=2.0, description="First backoff step when the server gives no Retry-After."
    )
    allow_insecure_http: bool = Field(
        default=False, description="Allow plain http:// to a host other than this machine."
    )

    def open_client(self, logger: logging.Logger | None = None) -> ExportsClient:
        """A new client; use it as a context manager so its connections are closed."""
        return ExportsClient(
            self.api_token,
            self.base_url,
            timeout_s=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_seconds,
            requests_per_minute=self.requests_per_minute or None,
            max_concurrency=self.max_concurrent_requests,
            allow_insecure_http=self.allow_insecure_http,
            logger=logger,
        )
