"""What the two Dixa API resources share: the token, how hard a request is tried, and whether
plain HTTP may leave this machine. Each resource adds its base URL, its pace and its own
settings; the HTTP work lives in the Dagster-free clients.

The token comes from ``DIXA_API_TOKEN`` through ``EnvVar``, so the UI shows the variable's name
and never its value.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

TOKEN_VARIABLE = "DIXA_API_TOKEN"


def token_from_environment() -> EnvVar | str:
    """The token as runs resolve it: ``EnvVar`` when the variable is set where definitions load
    (every run loads them again in its own process), so the UI shows its name, never its value.

    Unset, a Dagster ``EnvVar`` would fail the run before any step, in a long configuration
    error; an empty token instead fails the first step at once with one line saying what to set
    and where to get it (see :class:`~dixa_assets.exports_api.ExportsClient`).
    """
    return EnvVar(TOKEN_VARIABLE) if os.environ.get(TOKEN_VARIABLE) else ""


class DixaApiResource(ConfigurableResource):
    """Settings both API resources have; each opens its own client per step."""

    api_token: str = Field(
        description="Dixa API token (set DIXA_API_TOKEN; the Exports API and the main API "
        "take the same one)."
    )
    base_url: str = Field(description="Base URL of the API.")
    max_attempts: int = Field(
        default=6, description="Tries per request on 429, 5xx, timeouts and dropped connections."
    )
    backoff_seconds: float = Field(
        default=1.0, description="First backoff step when the server gives no Retry-After."
    )
    allow_insecure_http: bool = Field(
        default=False, description="Allow plain http:// to a host other than this machine."
    )

    def client_options(self, logger: logging.Logger | None) -> dict[str, Any]:
        """The keyword arguments both clients take from these settings."""
        return {
            "max_attempts": self.max_attempts,
            "backoff_s": self.backoff_seconds,
            "allow_insecure_http": self.allow_insecure_http,
            "logger": logger,
        }
