"""The Dixa Exports API over HTTP: a typed client with no knowledge of Dagster."""

from dixa_assets.exports_api.answer import Export, Piece, Record, Sink, batches
from dixa_assets.exports_api.client import DEFAULT_BASE_URL, Endpoint, ExportsClient
from dixa_assets.exports_api.errors import (
    ApiUnreachable,
    AuthenticationError,
    ExportsApiError,
    InsecureTransportError,
    MalformedResponse,
    PermanentError,
    RequestRejected,
    RetriesExhausted,
    WindowTooBig,
)
from dixa_assets.exports_api.metrics import CallMetrics
from dixa_assets.exports_api.windows import DAY_MS, MAX_WINDOW_DAYS, Window, to_epoch_ms

__all__ = [
    "DAY_MS",
    "DEFAULT_BASE_URL",
    "MAX_WINDOW_DAYS",
    "ApiUnreachable",
    "AuthenticationError",
    "CallMetrics",
    "Endpoint",
    "Export",
    "ExportsApiError",
    "ExportsClient",
    "InsecureTransportError",
    "MalformedResponse",
    "PermanentError",
    "Piece",
    "Record",
    "RequestRejected",
    "RetriesExhausted",
    "Sink",
    "Window",
    "WindowTooBig",
    "batches",
    "to_epoch_ms",
]
