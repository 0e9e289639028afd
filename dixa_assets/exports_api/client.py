"""An HTTP client for the Dixa Exports API: windows in, JSON records out.

It knows HTTP, the API's query rules and its failure modes, and nothing of Dagster. Callers give
half-open windows of any length; the client splits them to the API's 31-day limit, pads the bounds
(see :mod:`.windows`), runs the pieces with bounded concurrency under one pacer, retries what is
transient, fails at once on what is not, and filters the answer back to the exact window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

import httpx
import orjson

from ..http_policy import RETRYABLE_STATUS, is_loopback, jittered_backoff
from ..http_policy import excerpt as _excerpt
from ..http_policy import json_kind as _json_kind
from ..http_policy import parse_retry_after as _parse_retry_after
from ..http_policy import served_at_ms as _served_at_ms
from .errors import (
    AuthenticationError,
    InsecureTransportError,
    MalformedResponse,
    RequestRejected,
    RetriesExhausted,
)
from .json_stream import ArrayDecoder, NotAnArray
from .rate_limit import RequestPacer
from .windows import MAX_WINDOW_DAYS, Window

DEFAULT_BASE_URL = "https://exports.dixa.io"
MAX_CSIDS_PER_REQUEST = 10

Record = dict[str, Any]
T = TypeVar("T")
Convert = Callable[[list[Record]], T]


class Endpoint(StrEnum):
    CONVERSATIONS = "/v1/conversation_export"
    MESSAGES = "/v1/message_export"


@dataclass
class CallMetrics:
    """What the calls of one client cost; the assets report these as metadata."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    seconds: float = 0.0
    waited_seconds: float = 0.0
    records: int = 0
    edge_records: int = 0
    stray_records: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "waited_seconds": round(self.waited_seconds, 3),
            "records": self.records,
            "edge_records": self.edge_records,
            "stray_records": self.stray_records,
            "status_counts": dict(sorted(self.status_counts.items())),
        }


@dataclass(frozen=True)
class Export(Generic[T]):
    """One logical export (all pieces of its window): its records, run by run, as converted.

    The body is decoded a few megabytes at a time; each run of records inside the window goes
    through the caller's ``convert`` (by default kept as a list of dicts) before the next run is
    decoded. Records the API returned outside the window were not kept: ``edge_records`` fell in
    the one-millisecond padding of the request (they belong to the neighbouring window, expected
    when the API's bounds are inclusive); ``stray_ids`` fell outside what was asked for at all,
    which only a misbehaving API does.
    """

    parts: list[T]
    requests: int
    edge_records: int
    stray_ids: list[Any]
    # The server's clock when it answered (its ``Date`` header, else ours when we asked), the
    # earliest over the requests: the answer holds every record changed before this instant.
    served_at_ms: int

    def records(self: Export[list[Record]]) -> list[Record]:
        """All records, when the runs were kept as lists (the default ``convert``)."""
        return [record for part in self.parts for record in part]


class ExportsClient:
    """A thread-safe client for both export endpoints.

    Args:
        token: the Exports API token, sent as ``Authorization: Bearer``; never logged.
        base_url: ``https://exports.dixa.io`` in production, the simulator in tests.
        timeout_s: read timeout of one request; a whole 31-day export can take a while.
        max_attempts: tries per request for transient failures (429, 5xx, timeouts, drops).
        backoff_s / max_backoff_s: exponential backoff with full jitter between tries when the
            server gives no ``Retry-After``.
        requests_per_minute / burst: the client-side pace (see :class:`RequestPacer`).
        max_concurrency: requests in flight at once within this client.
        max_window_days: the API's limit on one query's span.
        allow_insecure_http: permit ``http://`` to a host other than loopback.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout_s: float = 300.0,
        max_attempts: int = 6,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        requests_per_minute: float | None = 10.0,
        burst: int = 1,
        max_concurrency: int = 2,
        max_window_days: int = MAX_WINDOW_DAYS,
        allow_insecure_http: bool = False,
        logger: logging.Logger | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise AuthenticationError(
                "No Dixa Exports API token is set: export DIXA_API_TOKEN "
                "(Dixa Settings -> Integrations -> API tokens)."
            )
        url = httpx.URL(base_url)
        if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
            raise InsecureTransportError(
                f"Refusing to send the API token in clear text to {url.host}: use https, or "
                "allow insecure HTTP explicitly."
            )
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s, connect=min(30.0, timeout_s)),
            transport=transport,
            limits=httpx.Limits(max_connections=max_concurrency),
        )
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._max_concurrency = max_concurrency
        self._max_window_days = max_window_days
        self._pacer = RequestPacer(requests_per_minute, burst, sleep=sleep)
        self._sleep = sleep
        self._log = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self.metrics = CallMetrics()

    def __enter__(self) -> ExportsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def conversations(
        self,
        *,
        updated: Window | None = None,
        created: Window | None = None,
        closed: Window | None = None,
        last_message_created: Window | None = None,
        csids: Sequence[int] | None = None,
        convert: Convert[T] = list,
    ) -> Export[T]:
        """Conversations matching every given filter (current state of each).

        At most one window may be longer than the API's limit: it is the one split into pieces.
        ``csids`` are sent ten at a time, the API's maximum.
        """
        windows = {
            "updated": updated,
            "created": created,
            "closed": closed,
            "last_message_created": last_message_created,
        }
        given = {name: w for name, w in windows.items() if w is not None}
        if not given and not csids:
            raise ValueError("the API needs a window or a list of csids")
        if csids:
            if given:
                raise ValueError("csids are exported on their own, without windows")
            size = MAX_CSIDS_PER_REQUEST
            chunks = [csids[i : i + size] for i in range(0, len(csids), size)]
            queries = [({"csids": ",".join(str(int(c)) for c in chunk)}, {}) for chunk in chunks]
            return self._export(Endpoint.CONVERSATIONS, queries, convert)
        return self._export(Endpoint.CONVERSATIONS, self._window_queries(given), convert)

    def messages(self, *, created: Window, convert: Convert[T] = list) -> Export[T]:
        """Messages whose own ``created_at`` falls in ``created``."""
        queries = self._window_queries({"created": created})
        return self._export(Endpoint.MESSAGES, queries, convert)

    def pieces(self, window: Window) -> list[Window]:
        """``window`` cut into pieces that each fit one request."""
        return window.split(self._max_window_days)

    def stream(
        self, pieces: Sequence[Window], fetch: Callable[[Window], Export[T]]
    ) -> Iterator[tuple[Window, Export[T]]]:
        """``fetch`` each piece, at most ``max_concurrency`` in flight, yielding in order.

        Only the pieces in flight and the one being consumed are held, so a caller that turns
        each answer into a compact table keeps memory bounded by a few windows, not the range.
        """
        with ThreadPoolExecutor(self._max_concurrency, thread_name_prefix="dixa-piece") as pool:
            pending: deque[tuple[Window, Future[Export[T]]]] = deque()
            remaining = iter(pieces)
            for piece in remaining:
                pending.append((piece, pool.submit(fetch, piece)))
                if len(pending) >= self._max_concurrency:
                    break
            while pending:
                piece, future = pending.popleft()
                answer = future.result()
                next_piece = next(remaining, None)
                if next_piece is not None:
                    pending.append((next_piece, pool.submit(fetch, next_piece)))
                yield piece, answer

    def _window_queries(
        self, windows: Mapping[str, Window]
    ) -> list[tuple[dict[str, str], dict[str, Window]]]:
        """One (params, filters) per request: the long window split, the others repeated."""
        limit = self._max_window_days
        long = [name for name, w in windows.items() if len(w.split(limit)) > 1]
        if len(long) > 1:
            raise ValueError(f"only one window may exceed {limit} days, got {long}")
        axis = long[0] if long else next(iter(windows))
        queries = []
        for piece in windows[axis].split(limit):
            filters = {**windows, axis: piece}
            params: dict[str, str] = {}
            for name, window in filters.items():
                after, before = window.request_bounds()
                params[f"{name}_after"] = str(after)
                params[f"{name}_before"] = str(before)
            queries.append((params, {f"{name}_at": w for name, w in filters.items()}))
        return queries

    def _export(
        self,
        endpoint: Endpoint,
        queries: Sequence[tuple[dict[str, str], dict[str, Window]]],
        convert: Convert[T],
    ) -> Export[T]:
        workers = min(self._max_concurrency, len(queries))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dixa-export") as pool:
            answers = list(pool.map(lambda q: self._fetch(endpoint, *q, convert), queries))
        parts = [part for answer in answers for part in answer.parts]
        edges = sum(answer.edges for answer in answers)
        strays = [record_id for answer in answers for record_id in answer.stray_ids]
        if edges:
            self._log.info(
                "%s returned %d record(s) on the 1 ms padded edges of the requested bounds: "
                "they belong to the neighbouring window and are not kept here.",
                endpoint.value,
                edges,
            )
        if strays:
            self._log.warning(
                "%s returned %d record(s) outside the requested bounds; not kept. ids: %s",
                endpoint.value,
                len(strays),
                strays[:10],
            )
        served = min(answer.served_at_ms for answer in answers)
        return Export(parts, len(queries), edges, strays, served)

    def _fetch(
        self,
        endpoint: Endpoint,
        params: dict[str, str],
        filters: Mapping[str, Window],
        convert: Convert[T],
    ) -> _Answer[T]:
        """One request, with retries: its body decoded, filtered and converted run by run."""
        where = f"{endpoint.value} {_describe(params)}"
        last_problem = ""
        for attempt in range(1, self._max_attempts + 1):
            waited = self._pacer.acquire()
            asked = int(time.time() * 1000)
            started = time.perf_counter()
            retry_after: float | None = None
            outcome, size = "", 0
            try:
                with self._http.stream("GET", endpoint.value, params=params) as response:
                    status = response.status_code
                    outcome = str(status)
                    if status == 200:
                        answer = _Answer[T](filters, convert, where)
                        answer.served_at_ms = _served_at_ms(response.headers.get("Date"), asked)
                        decoder = ArrayDecoder()
                        for data in response.iter_bytes():
                            size += len(data)
                            for run in decoder.feed(data):
                                answer.add(run)
                        for run in decoder.close():
                            answer.add(run)
                        self._count(answer)
                        return answer
                    body = response.read()
                    size = len(body)
            except httpx.TransportError as exc:  # timeouts, refused, dropped mid-body
                outcome = type(exc).__name__
                last_problem = f"{outcome}: {exc}"
            except orjson.JSONDecodeError as exc:  # truncated in transit, or an HTML page
                last_problem = f"invalid JSON ({exc}): {_excerpt(decoder.head)}"
            except NotAnArray as exc:
                raise MalformedResponse(
                    f"{where} answered 200 with a JSON {_json_kind(exc.value)}, not an array: "
                    f"{_excerpt(orjson.dumps(exc.value))}"
                ) from None
            else:
                if status in (401, 403):
                    raise AuthenticationError(
                        f"The Dixa Exports API refused the token (HTTP {status}) on {where}. "
                        "Check DIXA_API_TOKEN: it must be a valid admin API token "
                        "(Dixa Settings -> Integrations -> API tokens)."
                    )
                if status not in RETRYABLE_STATUS:
                    raise RequestRejected(
                        f"The Dixa Exports API rejected {where} with HTTP {status}: "
                        f"{_excerpt(body)}",
                        status,
                    )
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                last_problem = f"HTTP {status}: {_excerpt(body)}"
            finally:
                self._record(waited, started, size, outcome)
            if attempt == self._max_attempts:
                break
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            if retry_after is not None:
                self._pacer.defer(retry_after)
            self._log.warning(
                "%s failed (%s); attempt %d of %d, retrying in %.1fs",
                where,
                last_problem,
                attempt,
                self._max_attempts,
                delay,
            )
            with self._lock:
                self.metrics.retries += 1
                self.metrics.waited_seconds += delay
            self._sleep(delay)
        raise RetriesExhausted(
            f"{where} failed {self._max_attempts} times; last: {last_problem}. "
            "The API may be down or rate limiting hard: try again later."
        )

    def _count(self, answer: _Answer[Any]) -> None:
        with self._lock:
            self.metrics.records += answer.kept
            self.metrics.edge_records += answer.edges
            self.metrics.stray_records += len(answer.stray_ids)

    def _backoff(self, attempt: int) -> float:
        return jittered_backoff(attempt, self._backoff_s, self._max_backoff_s)

    def _record(self, waited: float, started: float, size: int, outcome: str) -> None:
        with self._lock:
            m = self.metrics
            m.requests += 1
            m.bytes += size
            m.seconds += time.perf_counter() - started
            m.waited_seconds += waited
            if outcome:
                m.status_counts[outcome] = m.status_counts.get(outcome, 0) + 1


class _Answer(Generic[T]):
    """The converted runs of one successful response, with what the window filter left out."""

    def __init__(self, filters: Mapping[str, Window], convert: Convert[T], where: str) -> None:
        self._filters = filters
        self._convert = convert
        self._where = where
        self.parts: list[T] = []
        self.seen = 0  # elements of the array decoded so far, to name a bad one's position
        self.kept = 0
        self.edges = 0
        self.stray_ids: list[Any] = []
        self.served_at_ms = 0

    def add(self, run: list[Any]) -> None:
        for index, item in enumerate(run):
            if not isinstance(item, dict):
                raise MalformedResponse(
                    f"{self._where}: element {self.seen + index} of the array is a JSON "
                    f"{_json_kind(item)}, not an object: "
                    f"{_excerpt(orjson.dumps(item))}"
                )
        self.seen += len(run)
        kept, edges, strays = _keep_inside(run, self._filters)
        self.parts.append(self._convert(kept))
        self.kept += len(kept)
        self.edges += edges
        self.stray_ids.extend(record.get("id") for record in strays)


def _keep_inside(
    records: Iterable[Record], filters: Mapping[str, Window]
) -> tuple[list[Record], int, list[Record]]:
    """Records inside every half-open window; how many others lay on the padded edges; strays."""
    kept: list[Record] = []
    edges = 0
    strays: list[Record] = []
    checks = [(name, w.start_ms, w.end_ms) for name, w in filters.items()]
    for record in records:
        inside = on_edge = True
        for name, start, end in checks:
            value = record.get(name)
            if not isinstance(value, int | float):
                inside = on_edge = False
                break
            if not start <= value < end:
                inside = False
                on_edge = on_edge and start - 1 <= value <= end
        if inside:
            kept.append(record)
        elif on_edge:
            edges += 1
        else:
            strays.append(record)
    return kept, edges, strays


def _describe(params: Mapping[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())
