"""Dixa's main API (dev.dixa.io/v1) over HTTP: a typed client with no knowledge of Dagster."""

from dixa_assets.main_api.client import DEFAULT_BASE_URL, MainApiClient
from dixa_assets.main_api.errors import (
    AuthenticationError,
    InsecureTransportError,
    MainApiError,
    MalformedResponse,
    PaginationError,
    RequestRejected,
    RetriesExhausted,
)
from dixa_assets.main_api.timestamps import format_param, parse_timestamp

__all__ = [
    "DEFAULT_BASE_URL",
    "AuthenticationError",
    "InsecureTransportError",
    "MainApiClient",
    "MainApiError",
    "MalformedResponse",
    "PaginationError",
    "RequestRejected",
    "RetriesExhausted",
    "format_param",
    "parse_timestamp",
]
