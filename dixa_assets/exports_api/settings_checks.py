"""The client's settings, checked before any request: a token is given, and it never travels
in clear text to anywhere but this machine."""

from __future__ import annotations

import httpx

from dixa_assets.exports_api.errors import AuthenticationError, InsecureTransportError
from dixa_assets.http_common.policy import is_loopback

DEFAULT_BASE_URL = "https://exports.dixa.io"


def check_token(token: str) -> None:
    if not token:
        raise AuthenticationError(
            "DIXA_API_TOKEN is not set: create an Exports API token in Dixa (Settings -> "
            "Integrations -> API tokens, as an admin) and export DIXA_API_TOKEN=<token>."
        )


def check_transport(base_url: str, allow_insecure_http: bool) -> None:
    url = httpx.URL(base_url)
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise InsecureTransportError(
            f"Refusing to send the API token in clear text to {url.host}: use https, or "
            "allow insecure HTTP explicitly."
        )
