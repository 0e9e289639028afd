"""The Dagster resource over the main API client (token from ``DIXA_API_TOKEN`` via ``EnvVar``)."""

from __future__ import annotations

import logging

from dagster import ConfigurableResource
from pydantic import Field

from dixa_assets.main_api import DEFAULT_BASE_URL, MainApiClient


class DixaMainApiResource(ConfigurableResource):
    """Dixa main API access (dev.dixa.io/v1): one client per step, closed when the step ends."""

    api_token: str = Field(description="API token (set DIXA_API_TOKEN; the exports' token).")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="Base URL of the main API.")
    requests_per_second: float = Field(
        default=10.0,
        description="Client-side pace (the API allows 10 a second with bursts of 4); 0 = unpaced.",
    )
    page_limit: int = Field(default=1000, description="pageLimit asked for per page.")
    max_attempts: int = Field(default=6, description="Tries per request on 429, 5xx, timeouts.")
    backoff_seconds: float = Field(
        default=1.0, description="First backoff step when the server gives no Retry-After."
    )
    allow_insecure_http: bool = Field(
        default=False, description="Allow plain http:// to a host other than this machine."
    )

    def open_client(self, logger: logging.Logger | None = None) -> MainApiClient:
        return MainApiClient(
            self.api_token,
            self.base_url,
            requests_per_second=self.requests_per_second or None,
            page_limit=self.page_limit,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_seconds,
            allow_insecure_http=self.allow_insecure_http,
            logger=logger,
        )
