"""The two export endpoints as a function from (path, parameters) to a response body.

Kept apart from HTTP so the same answers back the server and in-process checks. Serialized bodies
of recent identical queries are cached: a benchmark day is hundreds of MB of JSON, and clients
that retry or re-run a window should not pay for re-encoding it. A cached body is keyed on the
clock too unless every record it could contain is final (see `_clock_key`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dixa_assets.simulator.filters import (
    Bounds,
    ExportQuery,
    QueryError,
    parse_conversation_query,
    parse_message_query,
)
from dixa_assets.simulator.lifecycle import Record
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.wire import dumps

CONVERSATION_EXPORT = "/v1/conversation_export"
MESSAGE_EXPORT = "/v1/message_export"
EXPORT_PATHS = (CONVERSATION_EXPORT, MESSAGE_EXPORT)
_FAR_FUTURE_MS = 2**62


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """Status and JSON body of an export request."""

    status: int
    body: bytes
    records: int = 0  # elements of the array, for a gateway that refuses big answers


STATUS_MESSAGES = {
    401: "Unauthorized: missing or invalid bearer token",
    403: "Forbidden",
    404: "Not found",
    500: "Internal server error",
    503: "Service unavailable",
}


def error_body(message: str) -> bytes:
    """The `{"message": ...}` body the API uses for every error."""
    return dumps({"message": message})


class ExportApi:
    """Answers export requests from an organisation with the given bound semantics."""

    def __init__(
        self,
        organisation: Organisation,
        bounds: Bounds = "inclusive",
        cached_responses: int = 4,
        cached_bytes: int = 2 * 1024**3,
    ) -> None:
        self.organisation = organisation
        self.bounds = bounds
        self._cached_responses = cached_responses
        self._cached_bytes = cached_bytes
        self._cache: OrderedDict[tuple[object, ...], ApiResponse] = OrderedDict()
        self._lock = threading.Lock()

    def respond(self, path: str, params: Mapping[str, str]) -> ApiResponse:
        """The response to `GET path?params` (the path must be one of `EXPORT_PATHS`)."""
        parse: Callable[[Mapping[str, str]], ExportQuery] = (
            parse_conversation_query if path == CONVERSATION_EXPORT else parse_message_query
        )
        try:
            query = parse(params)
        except QueryError as error:
            return ApiResponse(error.status, error_body(error.message))
        now = self.organisation.now_ms
        # Anonymizations change settled answers too: their version is part of the key.
        version = self.organisation.anonymizations.version
        key = (path, query, self._clock_key(path, query, now), version)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        records = (
            self._conversations(query, now)
            if path == CONVERSATION_EXPORT
            else self._messages(query, now)
        )
        response = ApiResponse(200, dumps(records), len(records))
        self._remember(key, response)
        return response

    def _conversations(self, query: ExportQuery, now: int) -> list[Record]:
        org = self.organisation
        if query.csids is not None:
            candidates = org.conversations_by_id(query.csids, now_ms=now)
        else:
            first, last = query.creation_span(org.lag_ms, self.bounds)
            candidates = org.conversations_created(
                0 if first is None else first,
                _FAR_FUTURE_MS if last is None else last,
                now_ms=now,
            )
            # An anonymization that moved updated_at may lie beyond the update lag.
            if moved := org.anonymizations.moved(now):
                seen = {record["id"] for record in candidates}
                candidates = sorted(
                    [*candidates, *(r for r in moved if r["id"] not in seen)],
                    key=lambda record: record["id"],
                )
        return [record for record in candidates if query.matches(record, self.bounds)]

    def _messages(self, query: ExportQuery, now: int) -> list[Record]:
        # Message timestamps are integers and the span already applies the bound semantics,
        # so the candidates are exactly the answer: no per-record filtering of a million dicts.
        first, last = query.creation_span(0, self.bounds)
        return self.organisation.messages_created(
            0 if first is None else first,
            _FAR_FUTURE_MS if last is None else last,
            now_ms=now,
        )

    def _clock_key(self, path: str, query: ExportQuery, now: int) -> int | None:
        """None when the answer no longer depends on the clock, else the clock itself.

        Messages never change, so only their existence (created_at <= now) depends on the
        clock. Conversations are final once their creation day plus the update lag is past.
        """
        lead = 0 if path == MESSAGE_EXPORT else self.organisation.lag_ms
        _, last = query.creation_span(lead, self.bounds)
        if query.csids is not None or last is None:
            return now
        if path == MESSAGE_EXPORT:
            return None if last <= now else now
        return None if self.organisation.is_settled(last, now) else now

    def _remember(self, key: tuple[object, ...], response: ApiResponse) -> None:
        if len(response.body) > self._cached_bytes or self._cached_responses < 1:
            return
        with self._lock:
            self._cache[key] = response
            self._cache.move_to_end(key)
            while (
                len(self._cache) > self._cached_responses
                or sum(len(r.body) for r in self._cache.values()) > self._cached_bytes
            ):
                self._cache.popitem(last=False)
