"""The Dagster resource over the main API client (shared settings in :mod:`.api_resource`)."""

from __future__ import annotations

import logging

from pydantic import Field

from dixa_assets.defs.raw.api_resource import DixaApiResource
from dixa_assets.main_api import DEFAULT_BASE_URL, MainApiClient


class DixaMainApiResource(DixaApiResource):
    """Dixa main API access (dev.dixa.io/v1): one client per step, closed when the step ends."""

    base_url: str = Field(default=DEFAULT_BASE_URL, description="Base URL of the main API.")
    requests_per_second: float = Field(
        default=10.0,
        description="Client-side pace (the API allows 10 a second with bursts of 4); 0 = unpaced.",
    )
    page_limit: int = Field(default=1000, description="pageLimit asked for per page.")

    def open_client(self, logger: logging.Logger | None = None) -> MainApiClient:
        return MainApiClient(
            self.api_token,
            self.base_url,
            requests_per_second=self.requests_per_second or None,
            page_limit=self.page_limit,
            **self.client_options(logger),
        )
