"""Errors raised by the main API client.

Each says what to do next; none carries the token, which lives only in the ``Authorization``
header that no message formats.
"""

from __future__ import annotations


class MainApiError(Exception):
    """Base class: every failure of the main API client is one of these."""


class AuthenticationError(MainApiError):
    """401/403 in every Authorization form: the token was refused."""


class RequestRejected(MainApiError):
    """Another 4xx: the request itself is wrong and will not succeed later."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class MalformedResponse(MainApiError):
    """A 200 that is not the documented envelope, or an entry that cannot be read."""


class PaginationError(MainApiError):
    """``meta.next`` repeats a page already fetched, or points at another host."""


class RetriesExhausted(MainApiError):
    """Transient failures (429, 5xx, timeouts, dropped connections) outlasted every attempt."""


class InsecureTransportError(MainApiError):
    """The token would travel in clear text to a host that is not this machine."""
