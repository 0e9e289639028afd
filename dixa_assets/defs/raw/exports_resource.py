"""The Dagster resource over the Exports API client (shared settings in :mod:`.api_resource`);
the HTTP work lives in :mod:`dixa_assets.exports_api`."""

from __future__ import annotations

import logging

from pydantic import Field

from dixa_assets.defs.raw.api_resource import DixaApiResource
from dixa_assets.exports_api import DEFAULT_BASE_URL, ExportsClient


class DixaExportsResource(DixaApiResource):
    """Dixa Exports API access: one client per step, closed when the step ends."""

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
    backoff_seconds: float = Field(
        default=2.0, description="First backoff step when the server gives no Retry-After."
    )
    decode_processes: int | None = Field(
        default=None,
        description="Worker processes decoding an answer over 32 MB, on every core at once "
        "(about 130 MB each). Default: the cores, at most 4; 0 decodes in the step's process.",
        ge=0,
    )

    def open_client(self, logger: logging.Logger | None = None) -> ExportsClient:
        """A new client; use it as a context manager so its connections are closed."""
        return ExportsClient(
            self.api_token,
            self.base_url,
            timeout_s=self.timeout_seconds,
            requests_per_minute=self.requests_per_minute or None,
            max_concurrency=self.max_concurrent_requests,
            decode_processes=self.decode_processes,
            **self.client_options(logger),
        )
