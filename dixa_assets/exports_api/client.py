"""An HTTP client for the Dixa Exports API: windows in, JSON records out, piece by piece.

It knows HTTP, the API's query rules and its failure modes, and nothing of Dagster. Callers give
half-open windows of any length; one path cuts them into pieces (the API's 31-day limit, or
smaller once a piece proved too big for the gateway), pads the bounds (see :mod:`.windows`),
fetches a few pieces at once under one pacer, retries what is transient, fails at once on what is
not, and yields each piece filtered to its exact window, in order, one at a time.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

import httpx
import orjson

from dixa_assets.exports_api.answer import Answer, Convert, Export, Piece, Sink, batches, collect
from dixa_assets.exports_api.body import read_body
from dixa_assets.exports_api.decoding_pool import DecodingPool
from dixa_assets.exports_api.errors import RetriesExhausted, WindowTooBig
from dixa_assets.exports_api.failures import (
    Retry,
    not_an_array,
    refused,
    transport_failure,
    undecodable,
    unreachable,
)
from dixa_assets.exports_api.in_order import Halve, fetch_in_order
from dixa_assets.exports_api.json_stream import ArrayDecoder, NotAnArray
from dixa_assets.exports_api.metrics import CallMetrics
from dixa_assets.exports_api.queries import (
    HOUR_MS,
    Query,
    csids_queries,
    describe,
    limit_ms,
    plan_pieces,
    split_axis,
)
from dixa_assets.exports_api.rate_limit import RequestPacer
from dixa_assets.exports_api.settings_checks import (
    DEFAULT_BASE_URL,
    check_token,
    check_transport,
)
from dixa_assets.exports_api.windows import MAX_WINDOW_DAYS, Window
from dixa_assets.http_common.connection import open_http
from dixa_assets.http_common.policy import served_at_ms
from dixa_assets.http_common.retrying import RetryBookkeeping

# Failures of one piece as too big (see failures.TOO_BIG_STATUS) before it is halved.
TOO_BIG_TRIES = 2
# Connection failures before the API has ever answered this client: a wrong setting, unless a
# quick second look says otherwise.
FIRST_CONTACT_TRIES = 2

T = TypeVar("T")
OpenSink = Callable[[], Sink[T]]
RECORD_LISTS = batches(list)  # the default sink: each batch's records as a list


class Endpoint(StrEnum):
    CONVERSATIONS = "/v1/conversation_export"
    MESSAGES = "/v1/message_export"


class ExportsClient(RetryBookkeeping):
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
        decode_processes: worker processes decoding big answers (default: the cores, at most
            4; 0 decodes everything in the requesting thread). See :mod:`.decoding_pool`.
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
        decode_processes: int | None = None,
        logger: logging.Logger | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_token(token)
        check_transport(base_url, allow_insecure_http)
        self._base_url = base_url
        self._http = open_http(
            timeout_s,
            transport,
            {"Authorization": f"Bearer {token}"},
            base_url=base_url,
            limits=httpx.Limits(max_connections=max_concurrency),
        )
        self._setup_retries(
            max_attempts=max_attempts,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
            pacer=RequestPacer(requests_per_minute, burst, sleep=sleep),
            sleep=sleep,
            logger=logger or logging.getLogger(__name__),
            metrics=CallMetrics(),
        )
        self._max_concurrency = max_concurrency
        self._piece_limit_ms = limit_ms(max_window_days)
        self._answered = False  # the API has sent at least one HTTP response to this client
        self._decoding = DecodingPool(decode_processes)

    def __enter__(self) -> ExportsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._http.close()
        finally:
            self._decoding.close()

    def release_decoding_workers(self) -> None:
        """Let the decoding worker processes go (about 55 MiB each), when no answer is expected
        for a while; they start again, in 0.3 s, for the next big answer."""
        self._decoding.close()

    def conversation_pieces(
        self,
        *,
        updated: Window | None = None,
        created: Window | None = None,
        closed: Window | None = None,
        last_message_created: Window | None = None,
        csids: Sequence[int] | None = None,
        sink: OpenSink[Any] = RECORD_LISTS,
    ) -> Iterator[Piece[Any]]:
        """Conversations matching every given filter (current state of each), piece by piece.

        At most one window may be longer than the API's limit: it is the one cut into pieces
        (the first given one when none is). ``csids`` are sent ten at a time, without windows.
        Each attempt's records go to a new ``sink()``; a piece's content is what it finished as.
        """
        windows = {
            "updated": updated,
            "created": created,
            "closed": closed,
            "last_message_created": last_message_created,
        }
        given = {name: w for name, w in windows.items() if w is not None}
        if csids:
            if given:
                raise ValueError("csids are exported on their own, without windows")
            return self._run(Endpoint.CONVERSATIONS, csids_queries(csids), sink)
        if not given:
            raise ValueError("the API needs a window or a list of csids")
        axis = split_axis(given, self._piece_limit_ms)
        return self._run(Endpoint.CONVERSATIONS, self._plan(given, axis), sink)

    def message_pieces(
        self, *, created: Window, sink: OpenSink[Any] = RECORD_LISTS
    ) -> Iterator[Piece[Any]]:
        """Messages whose own ``created_at`` falls in ``created``, piece by piece (see
        :meth:`conversation_pieces` for ``sink``)."""
        queries = self._plan({"created": created}, "created")
        return self._run(Endpoint.MESSAGES, queries, sink)

    def conversations(self, **filters: Any) -> Export[Any]:
        """:meth:`conversation_pieces`, collected."""
        return collect(self.conversation_pieces(**filters))

    def messages(self, *, created: Window, convert: Convert[T] = list) -> Export[T]:
        """:meth:`message_pieces`, collected."""
        return collect(self.message_pieces(created=created, sink=batches(convert)))

    def fits_one_request(self, window: Window) -> bool:
        """Whether ``window`` is fetched in one request (unless it proves too big)."""
        return window.span_ms <= self._piece_limit_ms

    def _plan(self, windows: Mapping[str, Window], axis: str) -> Iterator[Query]:
        """Pieces of the axis window, each sized by the limit in force when it is planned."""
        return plan_pieces(windows, axis, lambda: self._piece_limit_ms)

    def _run(
        self, endpoint: Endpoint, queries: Iterator[Query], sink: OpenSink[T]
    ) -> Iterator[Piece[T]]:
        """Fetch ``queries`` (see :func:`fetch_in_order`), saying what each piece left out."""
        fetch = functools.partial(self._fetch, endpoint, open_sink=sink)
        halved = functools.partial(self._halved, endpoint)
        fetched = fetch_in_order(queries, fetch, halved, self._max_concurrency)
        with contextlib.closing(fetched):
            for piece in fetched:
                piece.log_left_out(self._log, endpoint.value)
                yield piece

    def _halved(self, endpoint: Endpoint, query: Query, half: Query) -> None:
        """Count a split and remember the smaller size for every piece planned from now on."""
        assert query.window is not None and half.window is not None
        span = half.window.span_ms
        with self._lock:
            self._piece_limit_ms = min(self._piece_limit_ms, span)
            self.metrics.count_split(span / HOUR_MS)
        self._log.warning(
            "%s %s failed as too big for the API's gateway twice: fetching it in two halves of "
            "%.1f hours; later windows of this run are cut to that size too",
            endpoint.value,
            describe(query.params),
            span / HOUR_MS,
        )

    def _fetch(self, endpoint: Endpoint, query: Query, open_sink: OpenSink[T]) -> Piece[T]:
        """One piece, with retries; raises :class:`Halve` when it should be cut in two."""
        where = f"{endpoint.value} {describe(query.params)}"
        too_big = 0
        last = Retry("")
        for attempt in range(1, self._max_attempts + 1):
            sink = open_sink()
            try:
                outcome = self._attempt(endpoint, query, sink, where)
            except BaseException:
                sink.discard()
                raise
            if isinstance(outcome, Piece):
                return outcome
            sink.discard()  # a failed attempt leaves nothing behind
            last = outcome
            if outcome.unreachable and not self._answered and attempt >= FIRST_CONTACT_TRIES:
                raise unreachable(self._base_url, outcome.problem)
            too_big += outcome.too_big
            if too_big >= TOO_BIG_TRIES and query.can_halve():
                raise Halve()
            if attempt == self._max_attempts:
                break
            self._wait_to_retry(where, last.problem, attempt, last.retry_after)
        if too_big >= TOO_BIG_TRIES:
            raise WindowTooBig(
                f"{where} failed {self._max_attempts} times even cut to its smallest piece "
                f"(one hour); last: {last.problem}. The API's gateway cannot serve this much "
                "data in one response, or the API is down: try again later."
            )
        raise RetriesExhausted(
            f"{where} failed {self._max_attempts} times; last: {last.problem}. "
            "The API may be down or rate limiting hard: try again later."
        )

    def _attempt(
        self, endpoint: Endpoint, query: Query, sink: Sink[T], where: str
    ) -> Piece[T] | Retry:
        """One request: the piece, or why it may work next time; raises what never will."""
        waited = self._pacer.acquire()
        asked = int(time.time() * 1000)
        started = time.perf_counter()
        outcome, size, status = "", 0, 0
        decoder = ArrayDecoder()
        try:
            with self._http.stream("GET", endpoint.value, params=query.params) as response:
                self._answered = True
                status = response.status_code
                outcome = str(status)
                if status != 200:
                    body = response.read()
                    size = len(body)
                    return refused(response, body, where, self._base_url)
                answer = Answer[T](query.filters, sink, where)
                served = served_at_ms(response.headers.get("Date"), asked)
                expected = int(response.headers.get("Content-Length") or 0)
                read_body(response.iter_bytes(), decoder, answer, sink, self._decoding, expected)
        except httpx.TransportError as exc:  # nothing answered, timeouts, drops before or mid-body
            outcome = type(exc).__name__
            return transport_failure(exc, mid_body=status == 200)
        except orjson.JSONDecodeError as exc:  # cut short in transit, or an HTML page
            return undecodable(exc, decoder.head)
        except NotAnArray as exc:
            raise not_an_array(exc.value, where) from None
        finally:
            self._record(waited, started, size or decoder.received, outcome)
        with self._lock:
            self.metrics.count_records(answer.kept, answer.edges, len(answer.stray_ids))
        return answer.piece(query.window, served)
