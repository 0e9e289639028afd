"""An HTTP client for Dixa's main API (dev.dixa.io/v1): the activity log and the dimensions.

No Dagster here. Each request, its pace, retries and Authorization form are
:mod:`.requester`'s; this module knows the endpoints and pagination. What the API leaves open is
handled both ways: the token is sent raw (Dixa's own clients) and, if refused, once as
``Bearer`` (PostHog's form), and the form that worked is kept; ``meta.next`` may be relative or
absolute, carry the filters or not, be absent or null at the end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from dixa_assets.exports_api import CallMetrics, Window
from dixa_assets.http_common.policy import excerpt, json_kind
from dixa_assets.main_api.errors import MalformedResponse, PaginationError, RequestRejected
from dixa_assets.main_api.requester import Requester
from dixa_assets.main_api.timestamps import format_param, parse_timestamp

DEFAULT_BASE_URL = "https://dev.dixa.io/v1"
ACTIVITY_LOG = "/conversations/activitylog"
Record = dict[str, Any]


class MainApiClient:
    """A thread-safe client for the main API.

    Args:
        token: the API token (the same as the Exports API's); never logged.
        base_url: ``https://dev.dixa.io/v1``, or the simulator's url + ``/v1``.
        requests_per_second: client-side pace (the API allows 10 a second, bursts of 4);
            requests are spread evenly, which no reading of the limit can call a burst.
        page_limit: ``pageLimit`` asked for (the maximum is not documented).
        window_days: the activity log is asked for in windows of at most this many days.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout_s: float = 60.0,
        max_attempts: int = 6,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        requests_per_second: float | None = 10.0,
        page_limit: int = 1000,
        window_days: int = 31,
        allow_insecure_http: bool = False,
        logger: logging.Logger | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._requests = Requester(
            token,
            base_url,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
            requests_per_second=requests_per_second,
            allow_insecure_http=allow_insecure_http,
            logger=logger or logging.getLogger(__name__),
            transport=transport,
            sleep=sleep,
        )
        self._get = self._requests.get
        self._page_limit = page_limit
        self._window_days = window_days
        self._log = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self.pages = 0
        self._first_served_ms = 0

    @property
    def metrics(self) -> CallMetrics:
        """What the calls cost (requests, retries, bytes, seconds, records...)."""
        return self._requests.metrics

    def complete_until(self, window: Window) -> int:
        """How far ``window`` was fetched: its end, or the server's time if that came first."""
        return min(window.end_ms, max(window.start_ms, self._first_served_ms or window.end_ms))

    def __enter__(self) -> MainApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._requests.close()

    # The activity log.

    def activity_log(self, window: Window) -> Iterator[list[Record]]:
        """Entries whose ``activityTimestamp`` lies in the half-open ``window``, page by page.

        Each entry gets ``activity_ms`` (its timestamp in epoch ms). Entries outside the window
        (the API's bounds are not documented; ``toDatetime`` may be inclusive) are not kept:
        on the end bound they are counted as edge records, anywhere else as strays (logged).
        """
        self._first_served_ms = 0
        for piece in window.split(self._window_days):
            params = {
                "fromDatetime": format_param(piece.start_ms),
                "toDatetime": format_param(piece.end_ms),
                "pageLimit": str(self._page_limit),
            }
            first = True
            for page in self._pages(ACTIVITY_LOG, params):
                # The first page of the first piece reaching past the server's "now" marks how
                # far the window was fetched (today's partition).
                if (
                    first
                    and not self._first_served_ms
                    and self._requests.last_served_at_ms < piece.end_ms
                ):
                    self._first_served_ms = self._requests.last_served_at_ms
                first = False
                yield self._inside(page, piece)

    def _inside(self, page: list[Any], window: Window) -> list[Record]:
        kept, strays = [], []
        edges = 0
        for entry in page:
            if not isinstance(entry, dict):
                raise MalformedResponse(
                    f"{ACTIVITY_LOG}: an entry is a JSON {json_kind(entry)}, not an object: "
                    f"{excerpt(orjson.dumps(entry))}"
                )
            try:
                at = parse_timestamp(entry.get("activityTimestamp"))
            except ValueError as error:
                raise MalformedResponse(
                    f"{ACTIVITY_LOG}: entry {entry.get('id')!r} has an unreadable "
                    f"activityTimestamp: {error}"
                ) from None
            if window.start_ms <= at < window.end_ms:
                kept.append({**entry, "activity_ms": at})
            elif at == window.end_ms:
                edges += 1
            else:
                strays.append(entry.get("id"))
        if strays:
            self._log.warning(
                "%s returned %d entr(ies) outside the requested window; not kept. ids: %s",
                ACTIVITY_LOG,
                len(strays),
                strays[:10],
            )
        with self._lock:
            self.metrics.records += len(kept)
            self.metrics.edge_records += edges
            self.metrics.stray_records += len(strays)
        return kept

    # The dimensions.

    def agents(self) -> list[Record]:
        return [item for page in self._pages("/agents", {"pageLimit": str(self._page_limit)})
                for item in page]  # fmt: skip

    def teams(self) -> list[Record]:
        return self._list("/teams")

    def team_members(self, team_id: str) -> list[Record] | None:
        """Members of a team; None if the team is gone (deleted during the fan-out)."""
        return self._list(f"/teams/{team_id}/agents", missing_ok=True)

    def queues(self) -> list[Record]:
        return self._list("/queues")

    def queue_members(self, queue_id: str) -> list[Record] | None:
        """Members of a queue; None if the queue is gone."""
        return self._list(f"/queues/{queue_id}/members", missing_ok=True)

    def tags(self) -> list[Record]:
        """Every tag, deactivated ones included (their state says so)."""
        return self._list("/tags", {"includeDeactivated": "true"})

    def _list(
        self, path: str, params: dict[str, str] | None = None, *, missing_ok: bool = False
    ) -> Any:
        """Endpoints documented without pagination; a ``meta.next`` is still followed."""
        items: list[Record] = []
        try:
            for page in self._pages(path, params or {}):
                items.extend(page)
        except RequestRejected as error:
            if missing_ok and error.status_code == 404:
                return None
            raise
        return items

    # Pagination.

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[list[Any]]:
        """Follow ``meta.next`` until it is absent, null, empty, or the page is empty.

        The next request is the link's path with the original parameters plus its ``pageKey``
        (so a link that omits the filters still gets them); a key seen before is a loop and
        fails loudly rather than spin or silently stop short.
        """
        seen: set[str] = set()
        target, query = self._requests.base + path, dict(params)
        while True:
            body = self._get(target, query)
            data = body.get("data")
            if not isinstance(data, list):
                raise MalformedResponse(
                    f"{path}: expected {{'data': [...]}}, got data as a JSON {json_kind(data)}"
                )
            with self._lock:
                self.pages += 1
            yield data
            meta = body.get("meta")
            link = meta.get("next") if isinstance(meta, dict) else None
            if not link or not data:
                return
            target, key = self._follow(path, str(link))
            if not key:
                return
            if key in seen:
                raise PaginationError(f"{path}: meta.next repeats pageKey {key[:40]!r}")
            seen.add(key)
            query = {**params, "pageKey": key}

    def _follow(self, path: str, link: str) -> tuple[str, str]:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            origin = httpx.URL(link)
            if (origin.scheme, origin.host, origin.port) != self._requests.origin:
                raise PaginationError(
                    f"{path}: meta.next points at another host ({origin.host}); "
                    "not sending the token there"
                )
        root = httpx.URL(self._requests.base)
        target = str(root.copy_with(path=parts.path, query=None))
        keys = parse_qs(parts.query).get("pageKey") or [""]
        return target, keys[0]

    # One request, with retries.
