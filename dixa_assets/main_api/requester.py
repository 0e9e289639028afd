"""One request to the main API, with everything around it: the pace, retries of what is
transient (429 honouring Retry-After, 5xx, dropped connections, a body cut short), the two
Authorization forms, and what it cost. The rules shared with the exports client come from
:mod:`dixa_assets.http_common.policy`, the pacer from :mod:`dixa_assets.exports_api.rate_limit`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from dixa_assets.exports_api import CallMetrics
from dixa_assets.exports_api.rate_limit import RequestPacer
from dixa_assets.http_common.connection import MISSING_TOKEN, open_http, refuse_clear_text
from dixa_assets.http_common.policy import (
    RETRYABLE_STATUS,
    excerpt,
    json_kind,
    parse_retry_after,
    served_at_ms,
)
from dixa_assets.http_common.retrying import RetryBookkeeping
from dixa_assets.main_api.errors import (
    AuthenticationError,
    InsecureTransportError,
    MalformedResponse,
    RequestRejected,
    RetriesExhausted,
)

_AUTH_FORMS = ("raw", "bearer")


class Requester(RetryBookkeeping):
    """Sends GETs for one client; thread-safe. See :class:`.MainApiClient` for the arguments."""

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        timeout_s: float,
        max_attempts: int,
        backoff_s: float,
        max_backoff_s: float,
        requests_per_second: float | None,
        allow_insecure_http: bool,
        logger: logging.Logger,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
    ) -> None:
        if not token:
            raise AuthenticationError(MISSING_TOKEN)
        refuse_clear_text(base_url, allow_insecure_http, InsecureTransportError)
        url = httpx.URL(base_url)
        self.base = base_url.rstrip("/")
        self.origin = (url.scheme, url.host, url.port)
        self._token = token
        self._auth_form = _AUTH_FORMS[0]
        self._http = open_http(timeout_s, transport)
        per_minute = requests_per_second * 60 if requests_per_second else None
        self._setup_retries(
            max_attempts=max_attempts,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
            pacer=RequestPacer(per_minute, sleep=sleep),
            sleep=sleep,
            logger=logger,
            metrics=CallMetrics(),
        )
        self.last_served_at_ms = 0  # the server's Date on the latest 200

    def close(self) -> None:
        self._http.close()

    def get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        where = f"{urlsplit(url).path} {_describe(params)}"
        last_problem = ""
        tried_forms: set[str] = set()
        attempt = 0
        while attempt < self._max_attempts:
            attempt += 1
            waited = self._pacer.acquire()
            asked = int(time.time() * 1000)
            started = time.perf_counter()
            retry_after: float | None = None
            outcome, size = "", 0
            form = self._auth_form
            try:
                response = self._http.get(url, params=params, headers=self._auth(form))
                status = response.status_code
                outcome, size = str(status), len(response.content)
            except httpx.TransportError as exc:
                outcome = type(exc).__name__
                last_problem = f"{outcome}: {exc}"
            else:
                if status == 200:
                    body = _envelope(response.content, where)
                    if body is not None:
                        self.last_served_at_ms = served_at_ms(response.headers.get("Date"), asked)
                        return body
                    last_problem = f"invalid JSON: {excerpt(response.content)}"
                elif status in (401, 403):
                    tried_forms.add(form)
                    untried = [f for f in _AUTH_FORMS if f not in tried_forms]
                    if not untried:
                        raise AuthenticationError(
                            f"The Dixa API refused the token (HTTP {status}) on {where} in "
                            "both Authorization forms. Check DIXA_API_TOKEN: it must be a "
                            "valid API token (Dixa Settings -> Integrations -> API tokens)."
                        )
                    self._auth_form = untried[0]
                    attempt -= 1  # another header form is not a retry
                    continue
                elif status not in RETRYABLE_STATUS:
                    raise RequestRejected(
                        f"The Dixa API rejected {where} with HTTP {status}: "
                        f"{excerpt(response.content)}",
                        status,
                    )
                else:
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    last_problem = f"HTTP {status}: {excerpt(response.content)}"
            finally:
                self._record(waited, started, size, outcome)
            if attempt == self._max_attempts:
                break
            self._wait_to_retry(where, last_problem, attempt, retry_after)
        raise RetriesExhausted(
            f"{where} failed {self._max_attempts} times; last: {last_problem}. "
            "The API may be down or rate limiting hard: try again later."
        )

    def _auth(self, form: str) -> dict[str, str]:
        value = self._token if form == "raw" else f"Bearer {self._token}"
        return {"Authorization": value}


def _envelope(content: bytes, where: str) -> dict[str, Any] | None:
    """The decoded object; None when the body is not JSON at all (cut short in transit: retried)."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"{where} answered 200 with a JSON {json_kind(body)}, not an object: {excerpt(content)}"
        )
    return body


def _describe(params: dict[str, str]) -> str:
    shown = {k: (v if k != "pageKey" else v[:12] + "...") for k, v in params.items()}
    return "?" + "&".join(f"{k}={v}" for k, v in shown.items())
