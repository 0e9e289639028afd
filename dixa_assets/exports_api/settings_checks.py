"""The client's settings, checked before any request: a token is given, and it never travels
in clear text to anywhere but this machine."""

from __future__ import annotations

from dixa_assets.exports_api.errors import AuthenticationError, InsecureTransportError
from dixa_assets.http_common.connection import MISSING_TOKEN, refuse_clear_text

DEFAULT_BASE_URL = "https://exports.dixa.io"


def check_token(token: str) -> None:
    if not token:
        raise AuthenticationError(MISSING_TOKEN)


def check_transport(base_url: str, allow_insecure_http: bool) -> None:
    refuse_clear_text(base_url, allow_insecure_http, InsecureTransportError)
