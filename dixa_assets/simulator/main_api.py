"""Dixa's main API (dev.dixa.io/v1) on the simulator's server: the activity log and dimensions.

Served under the same `/v1` prefix as the exports, so a client's base URL is the simulator's
url + "/v1". What the real API does not document (see shared/dixa-main-api-notes.md, open
questions) is a switch in `MainApiOptions`, so clients can be tested against every reading:
which Authorization form is accepted, whether a 429 carries Retry-After, whether `meta.next` is
a relative or absolute URL and whether it is absent or null on the last page, the timestamp
suffix (`Z` or `Z[GMT]`), whether unknown `_type`s and attribute keys are sent, how the
datetime bounds apply, the maximum page size.
"""

from __future__ import annotations

import base64
import hmac
from bisect import bisect_right
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import parse_qsl, quote

import orjson

from dixa_assets.simulator.activity import Activity, ActivityLog
from dixa_assets.simulator.directory import Directory
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.ratelimit import TokenBucket

ACTIVITY_LOG = "/v1/conversations/activitylog"
_FAR_FUTURE_MS = 2**62
Response = tuple[int, bytes, dict[str, str]]


@dataclass
class MainApiOptions:
    """The undocumented behaviours, one switch each (defaults: Dixa's own clients' reading)."""

    auth: Literal["raw", "bearer", "either"] = "raw"
    retry_after: Literal["seconds", "absent"] = "absent"
    next_form: Literal["relative", "absolute"] = "relative"
    last_page_next: Literal["absent", "null"] = "absent"
    timestamp_suffix: Literal["Z", "Z[GMT]"] = "Z"
    drift: bool = False  # unknown `_type`s and attribute keys
    to_inclusive: bool = True  # `toDatetime` bound inclusive (from is always inclusive)
    default_page_limit: int = 100
    max_page_limit: int = 1000
    over_max: Literal["clamp", "reject"] = "clamp"
    requests_per_second: float | None = 10.0
    burst: int = 4
    repeat_next: bool = False  # a broken API: a page's `next` is its own pageKey again
    # Scripted answers for the next requests, e.g. [429, 429, 503]: bursts of failures.
    scripted_statuses: list[int] = field(default_factory=list)


def set_option(options: MainApiOptions, assignment: str) -> None:
    """Apply `name=value` (the CLI's `--main-api`), checking the name and the value's type."""
    name, _, raw = assignment.partition("=")
    names = {f.name for f in fields(MainApiOptions)} - {"scripted_statuses"}
    if name not in names:
        raise ValueError(f"unknown main API option {name!r}; one of {', '.join(sorted(names))}")
    hint = get_type_hints(MainApiOptions)[name]
    if get_origin(hint) is Literal:
        if raw not in get_args(hint):
            raise ValueError(f"{name} must be one of {', '.join(get_args(hint))}")
        value: Any = raw
    elif hint is bool:
        if raw not in ("true", "false"):
            raise ValueError(f"{name} must be true or false")
        value = raw == "true"
    elif hint is int:
        value = int(raw)
    else:  # float | None
        value = None if raw in ("", "none", "0") else float(raw)
    setattr(options, name, value)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return status, orjson.dumps(payload), headers or {}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json(status, {"message": message}, headers)


def render_timestamp(ms: int, suffix: str = "Z") -> str:
    """Java `Instant.toString()` style: milliseconds only when non-zero, then the suffix."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + suffix


def parse_datetime_param(value: str) -> int:
    """Epoch ms of an ISO date-time parameter (`Z`, an offset, with or without fraction)."""
    text = value.strip().removesuffix("[GMT]")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no timezone")
    return round(moment.timestamp() * 1000)


class MainApi:
    """Answers main-API requests: (method, path, query, Authorization) -> status, body, headers."""

    def __init__(self, organisation: Organisation, token: str, base_url: str = "") -> None:
        self.organisation = organisation
        self.options = MainApiOptions()
        self.directory = Directory(organisation.catalogue)
        self.activity = ActivityLog(organisation)
        self.base_url = base_url  # for absolute `next` links; set by the server once bound
        self._token = token
        self._bucket: TokenBucket | None = None
        self._bucket_shape: tuple[float | None, int] | None = None

    @staticmethod
    def handles(path: str) -> bool:
        return (
            path == "/v1/agents"
            or path.startswith(("/v1/conversations/", "/v1/teams"))
            or (path.startswith(("/v1/queues", "/v1/tags")))
        )

    # Ground truth for tests: exactly what a complete, correct client must store.

    def truth_activity(self, start_ms: int, end_ms: int) -> list[Activity]:
        """Entries with `start_ms <= at < end_ms` as served now (drift included if switched on)."""
        return self.activity.between(start_ms, end_ms - 1, drift=self.options.drift)

    # Request handling.

    def respond(self, method: str, path: str, query: str, authorization: str) -> Response:
        if method != "GET":
            return _error(405, "Method not allowed", {"Allow": "GET"})
        if not self._authorized(authorization):
            return _error(401, "Unauthorized")
        limited = self._rate_limited()
        if limited is not None:
            return limited
        if self.options.scripted_statuses:
            status = self.options.scripted_statuses.pop(0)
            headers = {}
            if status == 429 and self.options.retry_after == "seconds":
                headers["Retry-After"] = "1"
            return _error(status, "Too many requests" if status == 429 else "Server error", headers)
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            return self._route(path, params)
        except ValueError as error:
            return _error(400, str(error))

    def _authorized(self, given: str) -> bool:
        allowed = {
            "raw": [self._token],
            "bearer": [f"Bearer {self._token}"],
            "either": [self._token, f"Bearer {self._token}"],
        }[self.options.auth]
        matches = [hmac.compare_digest(given.encode(), value.encode()) for value in allowed]
        return any(matches)

    def _rate_limited(self) -> Response | None:
        shape = (self.options.requests_per_second, self.options.burst)
        if shape != self._bucket_shape:
            rate, burst = shape
            self._bucket = TokenBucket(rate * 60, burst=burst) if rate else None
            self._bucket_shape = shape
        if self._bucket is None or (wait := self._bucket.acquire()) is None:
            return None
        headers = {"Retry-After": str(wait)} if self.options.retry_after == "seconds" else {}
        return _error(429, "Too Many Requests", headers)

    def _route(self, path: str, params: dict[str, str]) -> Response:
        d = self.directory
        parts = path.strip("/").split("/")  # ["v1", ...]
        if path == ACTIVITY_LOG:
            return self._activity_page(path, params, None)
        if len(parts) == 4 and parts[1] == "conversations" and parts[3] == "activitylog":
            if not parts[2].isdigit():
                raise ValueError(f"conversationId must be a number, got {parts[2]!r}")
            return self._activity_page(path, params, int(parts[2]))
        if path == "/v1/agents":
            if params.get("email") and params.get("phone"):
                raise ValueError("email and phone cannot be combined")
            return self._paged(path, params, d.agents())
        if path == "/v1/teams":
            return _json(200, {"data": d.team_list()})
        if len(parts) == 4 and parts[1] == "teams" and parts[3] == "agents":
            members = d.team_members(parts[2])
            return (
                _error(404, "Team not found") if members is None else _json(200, {"data": members})
            )
        if path == "/v1/queues":
            return _json(200, {"data": d.queues()})
        if len(parts) == 4 and parts[1] == "queues" and parts[3] == "members":
            members = d.queue_members(parts[2])
            return (
                _error(404, "Queue not found") if members is None else _json(200, {"data": members})
            )
        if path == "/v1/tags":
            include = params.get("includeDeactivated", "false").lower() == "true"
            return _json(200, {"data": d.tags(include)})
        return _error(404, "Not found")

    # Pagination: the pageKey is opaque base64 of the query and a cursor.

    def _page_limit(self, params: dict[str, str]) -> int:
        raw = params.get("pageLimit")
        if raw is None:
            return self.options.default_page_limit
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"pageLimit must be a positive int32, got {raw!r}")
        limit = int(raw)
        if limit > self.options.max_page_limit:
            if self.options.over_max == "reject":
                raise ValueError(f"pageLimit must be at most {self.options.max_page_limit}")
            limit = self.options.max_page_limit
        return limit

    def _state(self, params: dict[str, str]) -> dict[str, Any]:
        key = params.get("pageKey")
        if not key:
            return {"limit": self._page_limit(params), "offset": 0, "params": params}
        try:
            state = orjson.loads(base64.urlsafe_b64decode(key.encode()))
        except ValueError:
            raise ValueError("pageKey is not valid") from None
        return dict(state)

    def _links(
        self, path: str, state: dict[str, Any], more: bool, incoming: str | None
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        if more:
            key = base64.urlsafe_b64encode(orjson.dumps(state)).decode()
            if self.options.repeat_next and incoming:
                key = incoming
            link = f"{path}?pageKey={quote(key)}"
            meta["next"] = (
                self.base_url.removesuffix("/v1") + link
                if (self.options.next_form == "absolute")
                else link
            )
        elif self.options.last_page_next == "null":
            meta["next"] = None
        return meta

    def _paged(self, path: str, params: dict[str, str], items: list[Any]) -> Response:
        state = self._state(params)
        start, limit = int(state["offset"]), int(state["limit"])
        page = items[start : start + limit]
        more = start + limit < len(items)
        meta = self._links(path, {**state, "offset": start + limit}, more, params.get("pageKey"))
        return _json(200, {"data": page, "meta": meta})

    def _activity_page(self, path: str, params: dict[str, str], csid: int | None) -> Response:
        state = self._state(params)
        query = state["params"]
        first = parse_datetime_param(query["fromDatetime"]) if query.get("fromDatetime") else 0
        last = _FAR_FUTURE_MS
        if query.get("toDatetime"):
            last = parse_datetime_param(query["toDatetime"]) - (
                0 if self.options.to_inclusive else 1
            )
        drift = self.options.drift
        if csid is None:
            entries = self.activity.between(first, last, drift=drift)
        else:
            entries = [
                e for e in self.activity.conversation(csid, drift=drift) if first <= e.at <= last
            ]
        # A cursor (the last entry served), not an offset, so entries arriving between two
        # pages neither repeat nor go missing.
        start = 0
        if state.get("after"):
            after = tuple(state["after"])
            start = bisect_right(entries, after, key=lambda e: (e.at, e.id))
        limit = int(state["limit"])
        page = entries[start : start + limit]
        more = len(entries) > start + limit
        cursor = [page[-1].at, page[-1].id] if page else None
        meta = self._links(path, {**state, "after": cursor}, more, params.get("pageKey"))
        data = [self._entry(e) for e in page]
        return _json(200, {"data": data, "meta": meta})

    def _entry(self, entry: Activity) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": entry.id,
            "conversationId": entry.csid,
            "activityTimestamp": render_timestamp(entry.at, self.options.timestamp_suffix),
            "activityType": f"{entry.type}ActivityType",
            "_type": entry.type,
        }
        if entry.author is not None:
            item["author"] = entry.author
        attributes = entry.attributes_served(self.options.drift)
        if attributes:
            item["attributes"] = attributes
        return item
