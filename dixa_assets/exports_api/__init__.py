"""The Dixa Exports API over HTTP: a typed client with no knowledge of Dagster."""

from .client import DEFAULT_BASE_URL, CallMetrics, Endpoint, Export, ExportsClient, Record
from .errors import (
    AuthenticationError,
    ExportsApiError,
    InsecureTransportError,
    MalformedResponse,
    RequestRejected,
    RetriesExhausted,
)
from .windows import DAY_MS, MAX_WINDOW_DAYS, Window, to_epoch_ms

__all__ = [
    "DAY_MS",
    "DEFAULT_BASE_URL",
    "MAX_WINDOW_DAYS",
    "AuthenticationError",
    "CallMetrics",
    "Endpoint",
    "Export",
    "ExportsApiError",
    "ExportsClient",
    "InsecureTransportError",
    "MalformedResponse",
    "Record",
    "RequestRejected",
    "RetriesExhausted",
    "Window",
    "to_epoch_ms",
]
