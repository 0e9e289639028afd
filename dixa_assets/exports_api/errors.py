"""Errors raised by the Exports API client.

Each error says what the user should do next. None of them ever carries the API token: the token
lives only in the ``Authorization`` header, which no message below formats.
"""

from __future__ import annotations


class ExportsApiError(Exception):
    """Base class: every failure of the Exports API client is one of these."""


class PermanentError(Exception):
    """A failure that trying again cannot fix: a setting, the token, or the data is wrong.

    Callers fail at once on these (Dagster: no step retries); anything else may be transient.
    Not only the client raises them: a record that cannot be stored is one too.
    """


class AuthenticationError(ExportsApiError, PermanentError):
    """No token, or 401/403: the token was refused."""


class RequestRejected(ExportsApiError, PermanentError):
    """Another 4xx (400, 404, 422, ...): the request itself is wrong and will not succeed later."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class MalformedResponse(ExportsApiError, PermanentError):
    """A 200 whose body is not a JSON array of objects (an object, a non-object element)."""


class InsecureTransportError(ExportsApiError, PermanentError):
    """The token would travel in clear text to a host that is not this machine."""


class ApiUnreachable(ExportsApiError, PermanentError):
    """The base URL never answered: nothing listens there, its host is unknown, or TLS failed."""


class RetriesExhausted(ExportsApiError):
    """Transient failures (429, 5xx, timeouts, dropped connections) outlasted every attempt."""


class WindowTooBig(RetriesExhausted):
    """Even the smallest window the client splits down to (one hour) failed as too big."""
