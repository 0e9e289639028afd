"""Run Singer ``tap-dixa`` 1.0.10 against a local Exports API for one window, and measure it.

Run with the tap's own interpreter (``benchmarks/.work/venv-tap-dixa/bin/python``), never the
project's: the tap pins old ``singer-python``/``jsonschema``/``backoff`` releases.

What the tap does, read from its source (``tap_dixa/streams``, ``client.py``, ``helpers.py``):

* Config keys: ``api_token`` and ``start_date`` (required), ``interval`` (HOUR/DAY/WEEK/MONTH,
  default MONTH = 31 days). There is no end date and no base-URL key.
* ``conversations`` asks ``/v1/conversation_export`` with ``updated_after``/``updated_before``
  (its replication key is ``updated_at``); ``messages`` asks ``/v1/message_export`` with
  ``created_after``/``created_before``. Both match the filters our own assets use.
* Windows: from ``start_date`` (or the bookmark) in steps of 31 days up to ``singer.utils.now()``;
  each next window starts 1 ms after the previous ``*_before``. Records whose replication key is
  below the start are dropped by the tap itself; nothing is filtered at the end.
* The URL is ``DixaURL.EXPORTS.value + endpoint`` with ``https://exports.dixa.io`` hard-coded, and
  the auth header is chosen by comparing the base URL with that constant: ``Basic
  base64("bearer:<token>")`` for the Exports API (1.0.10, the newest release, still does this).

How this runner bounds it (nothing in the installed package is edited):

* Base URL: ``Client._build_url`` is wrapped to swap the hard-coded origin for ``--base-url``.
  The comparison that picks the auth header still sees the original constant, so the tap sends
  exactly the header it would send to Dixa.
* End: ``singer.utils.now`` is frozen at ``--end`` minus 1 ms, so the last window's ``*_before``
  is ``end - 1`` (the tap has no end-date setting). The tap reads both bounds as inclusive (each
  next window starts 1 ms after the previous ``*_before``), so under its own reading it asks for
  exactly ``[start, end)``. Against a server whose ``*_before`` is exclusive, records at
  ``end - 1`` ms would be missed: the tap's assumption, not the runner's.
* Start: ``start_date`` is ``--start``. The tap truncates it to whole seconds before its first
  request (``unix_ms_to_date_utc`` drops microseconds), so a sub-second start is widened to the
  second; it then drops records below the exact start itself. ``TZ`` is pinned to UTC before the
  tap is imported because that same helper reads the epoch as *local* time and labels it UTC: on
  a host east of UTC it would skip the first hours (a real defect, reported in the field notes,
  but not what a throughput benchmark should measure).
* Auth (opt-in deviation): ``--bearer-auth`` replaces the tap's header with ``Bearer <token>``
  for a server that accepts only the documented scheme (our simulator, as of this writing). It
  is off by default because it changes the peer; when on, the result's ``notes`` say so.
* Catalog: built with ``discover({})`` — with an empty config the tap skips its token check
  against ``https://dev.dixa.io`` (unreachable here), as it also does when given ``--catalog``.
  Only ``conversations`` and ``messages`` are selected; ``activity_logs`` is another API.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from _peer_common import (
    CountingWriter,
    Stopwatch,
    build_parser,
    check_window,
    coverage_gaps,
    emit_result,
    log_requests,
    parse_instant,
    real_stdout,
    run_guarded,
    to_ms,
)

PEER = "tap-dixa"
STREAMS = ("conversations", "messages")
# singer-python's format_message is simplejson.dumps with default separators, keys in this order.
RECORD_PREFIXES = {name: f'{{"type": "RECORD", "stream": "{name}"' for name in STREAMS}
# Endpoint and filter each stream sends (conversations by updated_at, messages by created_at).
FILTERS = {
    "conversations": ("/conversation_export", "updated"),
    "messages": ("/message_export", "created"),
}


def _pin_utc() -> None:
    """Make local time UTC for this process (see the module docstring: the start-date defect)."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def _point_at(base_url: str) -> None:
    """Send the tap's Exports API requests to ``base_url`` instead of its hard-coded origin."""
    from tap_dixa.client import Client
    from tap_dixa.helpers import DixaURL

    hard_coded = DixaURL.EXPORTS.value
    target = base_url.rstrip("/")
    original = Client._build_url

    def build_url(self: Any, endpoint: str) -> str:
        url: str = original(self, endpoint)
        if url.startswith(hard_coded):
            return target + url[len(hard_coded) :]
        raise RuntimeError(f"tap-dixa asked for {url}, which is not the Exports API")

    Client._build_url = build_url  # type: ignore[method-assign]


def _send_bearer() -> None:
    """Make the tap send ``Authorization: Bearer <token>`` (only with ``--bearer-auth``)."""
    from tap_dixa.client import Client

    def set_auth_header(self: Any) -> None:
        self._headers["Authorization"] = f"Bearer {self._api_token}"

    Client._set_auth_header = set_auth_header  # type: ignore[method-assign]


def _freeze_now(last: datetime) -> None:
    """Make ``singer.utils.now()`` — the tap's only notion of "until" — return ``last``."""
    import singer.utils

    singer.utils.now = lambda: last


def _catalog(selected: set[str]) -> Any:
    """The tap's own catalog with the chosen Exports API streams selected, as a user would."""
    from tap_dixa.discover import discover

    catalog = discover({})
    for stream in catalog.streams:
        if stream.tap_stream_id not in selected:
            continue
        for entry in stream.metadata:
            if not entry["breadcrumb"]:
                entry["metadata"]["selected"] = True
    return catalog


def main(argv: list[str] | None = None) -> int:
    """Run one bounded sync; print the result line; exit 1 if the tap failed."""
    parser = build_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--bearer-auth",
        action="store_true",
        help="send Bearer instead of the tap's Basic base64('bearer:<token>') (a deviation)",
    )
    parser.add_argument(
        "--streams",
        default=",".join(STREAMS),
        help="comma-separated streams to select (default both); the tap syncs conversations "
        "first and stops at its first error, so selecting one measures the other alone",
    )
    args = parser.parse_args(argv)
    selected = {name.strip() for name in args.streams.split(",") if name.strip()}
    if not selected or not selected <= set(STREAMS):
        parser.error(f"--streams must name some of {', '.join(STREAMS)}")
    start, end = parse_instant(args.start), parse_instant(args.end)
    check_window(start, end)
    _pin_utc()
    _point_at(args.base_url)
    if args.bearer_auth:
        _send_bearer()
    _freeze_now(end - timedelta(milliseconds=1))  # inclusive last ms of [start, end)
    requests_log = log_requests()

    from tap_dixa.sync import sync

    config = {"api_token": args.token, "start_date": start.isoformat()}
    catalog = _catalog(selected)
    stdout = real_stdout()
    with open(args.output, "w", encoding="utf-8") as sink:
        writer = CountingWriter(sink, RECORD_PREFIXES)
        sys.stdout = writer  # type: ignore[assignment]  # singer writes to sys.stdout
        try:
            watch = Stopwatch()
            error = run_guarded(lambda: sync(config, {}, catalog))
            seconds = watch.seconds()
        finally:
            sys.stdout = stdout

    start_ms, end_ms = to_ms(start), to_ms(end)
    notes = [
        "windows: 31 days each (interval MONTH), next starts 1 ms after the previous _before",
        "end bounded by freezing singer.utils.now at --end - 1 ms (tap has no end date)",
    ]
    if args.bearer_auth:
        notes.append("--bearer-auth: Authorization replaced by Bearer (tap sends Basic)")
    if start.microsecond:
        notes.append("start widened to the whole second by the tap; it filters < start itself")
    emit_result(
        stdout,
        peer=PEER,
        conversations=writer.counts["conversations"] if "conversations" in selected else None,
        messages=writer.counts["messages"] if "messages" in selected else None,
        seconds=seconds,
        extra={
            "window_ms": [start_ms, end_ms],
            "requests": requests_log.entries,
            "coverage_gaps_ms": {
                name: coverage_gaps(requests_log.entries, path, field_name, start_ms, end_ms)
                for name, (path, field_name) in FILTERS.items()
                if name in selected
            },
            "notes": notes,
            "error": error,
        },
    )
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
