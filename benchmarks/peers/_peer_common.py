"""Plumbing shared by the peer runners: arguments, clock, request log, output counting, result.

Each runner is executed by its peer's own virtual environment (see ``setup_peers.sh``), never by
the project's. This module therefore uses the standard library only (``requests`` is imported
lazily, and both peers bring it), so that both venvs can import it from the script's folder
without installing anything of ours into them.

Every runner prints exactly one JSON line on the real stdout (the peer's own Singer / Airbyte
messages go to ``--output``; the peers' logs go to stderr)::

    {"peer": ..., "records": {"conversations": N, "messages": M}, "seconds": S,
     "peak_rss_mb": R, ...}

A count is ``null`` for a stream the peer lacks (or was not asked to run), so that a records/s
figure is never computed from a count the peer could not have produced. The extra keys
(``requests``, ``coverage_gaps_ms``, ``notes``, ``error``) let a reader check that the peer
really asked for the window it was given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """An aware UTC datetime from Unix ms (all digits), an ISO date, or an ISO datetime.

    A naive ISO datetime is read as UTC: the Exports API and our assets are UTC throughout,
    and the benchmark must not depend on the host's zone.
    """
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(stripped) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    """Unix epoch milliseconds of an aware datetime, exactly (no float rounding)."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def build_parser(description: str) -> argparse.ArgumentParser:
    """The command line every runner shares, so the benchmark drives them all alike."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--base-url", required=True, help="Exports API origin, e.g. http://127.0.0.1:8123"
    )
    parser.add_argument("--token", required=True, help="API token given to the peer as configured")
    parser.add_argument(
        "--start", required=True, help="window start: Unix ms, ISO date or datetime"
    )
    parser.add_argument("--end", required=True, help="window end (exclusive): same formats")
    parser.add_argument(
        "--output",
        default=os.devnull,
        help="where the peer's own RECORD/STATE/... messages go (default: discarded)",
    )
    return parser


def check_window(start: datetime, end: datetime, *, now: datetime | None = None) -> None:
    """Refuse windows the peers cannot be bounded to (empty, or ending in the future).

    Both peers stop at "now"; the runners freeze that clock at ``end``. An ``end`` after the real
    now would only be honoured by one of the clocks each peer reads, so it is refused outright.
    """
    if end <= start:
        raise SystemExit(f"empty window: end {end.isoformat()} <= start {start.isoformat()}")
    current = now or datetime.now(tz=UTC)
    if end > current:
        raise SystemExit(f"--end {end.isoformat()} is in the future (now {current.isoformat()})")


@dataclass
class RequestLog:
    """Every HTTP request a peer sends: path and query, for checking what window it asked for."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, url: str, status: int | None) -> None:
        """Record one request (called from the patched ``requests.Session.send``)."""
        parts = urlsplit(url)
        entry = {"method": method, "path": parts.path, "params": dict(parse_qsl(parts.query))}
        entry["status"] = status
        with self._lock:
            self.entries.append(entry)


def log_requests() -> RequestLog:
    """Wrap ``requests.Session.send`` so every request a peer sends is logged (both use requests).

    This observes only: the request goes out unchanged and its response is returned as is.
    """
    import requests  # both peers depend on requests; imported here to keep this module stdlib

    log = RequestLog()
    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        try:
            response = original(self, request, **kwargs)
        except Exception:
            log.add(request.method, request.url, None)
            raise
        log.add(request.method, request.url, response.status_code)
        return response

    requests.Session.send = send  # type: ignore[method-assign]
    return log


def coverage_gaps(
    requests_log: Sequence[Mapping[str, Any]],
    path: str,
    field_name: str,
    start_ms: int,
    end_ms: int,
) -> list[list[int]]:
    """Parts of ``[start_ms, end_ms)`` that no request to ``path`` asked for, as ``[a, b)`` pairs.

    Each request's ``{field_name}_after``/``_before`` is taken as inclusive on both ends (the
    most generous reading, and the one tap-dixa assumes), so a gap reported here is one that no
    server semantics can fill: the peer never asked for those milliseconds.
    """
    spans = sorted(
        (int(entry["params"][f"{field_name}_after"]), int(entry["params"][f"{field_name}_before"]))
        for entry in requests_log
        if entry["path"].endswith(path)
        and f"{field_name}_after" in entry["params"]
        and f"{field_name}_before" in entry["params"]
    )
    gaps: list[list[int]] = []
    cursor = start_ms  # first millisecond not yet covered
    for after, before in spans:
        if after > cursor:
            gaps.append([cursor, min(after, end_ms)])
        cursor = max(cursor, before + 1)
        if cursor >= end_ms:
            break
    if cursor < end_ms:
        gaps.append([cursor, end_ms])
    return [gap for gap in gaps if gap[0] < gap[1]]


class CountingWriter:
    """A text sink that forwards every write and counts the messages whose prefix it knows.

    Singer writes one whole message line per ``write`` call (``format_message(m) + '\\n'``), so a
    prefix test on each call counts RECORD messages per stream without re-parsing their JSON,
    which would add a cost of our own to the peer's measured time.
    """

    def __init__(self, sink: TextIO, prefixes: Mapping[str, str]) -> None:
        self._sink = sink
        self._prefixes = dict(prefixes)
        self.counts: dict[str, int] = dict.fromkeys(prefixes, 0)

    def write(self, text: str) -> int:
        """Forward ``text`` and bump the count of the first prefix it starts with."""
        for name, prefix in self._prefixes.items():
            if text.startswith(prefix):
                self.counts[name] += 1
                break
        return self._sink.write(text)

    def flush(self) -> None:
        """Forward the peer's per-message flush, keeping its normal I/O pattern."""
        self._sink.flush()

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each line through :meth:`write` so it is counted too."""
        for line in lines:
            self.write(line)

    def isatty(self) -> bool:
        """Never a terminal: some libraries probe this."""
        return False


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (Linux reports ``ru_maxrss`` in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Stopwatch:
    """Wall-clock seconds of the extraction only (imports and setup are excluded)."""

    def __init__(self) -> None:
        self._started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds since construction, rounded to the millisecond."""
        return round(time.perf_counter() - self._started, 3)


def emit_result(
    stdout: TextIO,
    *,
    peer: str,
    conversations: int | None,
    messages: int | None,
    seconds: float,
    extra: Mapping[str, Any],
) -> None:
    """Print the single JSON result line on the real stdout."""
    line = {
        "peer": peer,
        "records": {"conversations": conversations, "messages": messages},
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        **extra,
    }
    stdout.write(json.dumps(line, sort_keys=False) + "\n")
    stdout.flush()


def run_guarded(body: Callable[[], None]) -> str | None:
    """Run the peer; return its failure as text instead of raising.

    A peer that crashes on our data (tap-dixa on an unexpected type, say) is a finding to
    report in the result line alongside the records it managed, not a reason to print nothing.
    """
    try:
        body()
    except BaseException as exc:  # SystemExit included: singer and the CDK both call sys.exit
        if isinstance(exc, KeyboardInterrupt):
            raise
        return f"{type(exc).__name__}: {exc}"[:2000]
    return None


def real_stdout() -> TextIO:
    """The process's original stdout, for the result line, whatever a peer did to sys.stdout."""
    return sys.__stdout__ if sys.__stdout__ is not None else sys.stdout
