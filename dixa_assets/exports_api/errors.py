"""Errors raised by the Exports API client.

Each error says what the user should do next. None of them ever carries the API token: the token
lives only in the ``Authorization`` header, which no message below formats.
"""

from __future__ import annotations


class ExportsApiError(Exception):
    """Base class: every failure of the Exports API client is one of these."""


class AuthenticationError(ExportsApiError):
    """401/403: the token was refused. Retrying cannot help, so this is raised at once."""


class RequestRejected(ExportsApiError):
    """Another 4xx (400, 404, 422, ...): the request itself is wrong and will not succeed later."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class MalformedResponse(ExportsApiError):
    """A 200 whose body is not a JSON array of objects (an HTML page, an object, bad JSON)."""


class RetriesExhausted(ExportsApiError):
    """Transient failures (429, 5xx, timeouts, dropped connections) outlasted every attempt."""


class InsecureTransportError(ExportsApiError):
    """The token would travel in clear text to a host that is not this machine."""
