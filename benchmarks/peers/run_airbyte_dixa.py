"""Run Airbyte ``source-dixa`` 0.3.14 against a local Exports API for one window, and measure it.

Run with the connector's own interpreter (``benchmarks/.work/venv-airbyte-dixa/bin/python``): it
needs ``airbyte-cdk`` 0.x (pydantic 1, pendulum 2), which cannot share a venv with our project.

What the connector does, read from its ``source_dixa/manifest.yaml`` and the CDK 0.90 classes
that interpret it (``DatetimeBasedCursor``):

* Config keys: ``api_token`` and ``start_date`` (required), ``batch_size`` (days per request;
  the spec says default 31, but the CDK does not fill spec defaults, so it must be given).
* One stream, ``conversation_export``; **no messages stream** (``messages`` is reported as null).
  It asks ``url_base`` ``https://exports.dixa.io/v1/`` (hard-coded) + ``conversation_export``
  with ``updated_after``/``updated_before`` in ms and a Bearer token.
* Start: ``format_datetime(start_date, '%Y-%m-%d')`` — the start is truncated to its UTC day.
  End: ``now_utc().strftime('%Y-%m-%d')`` — midnight UTC of *today*; the CDK also caps it at the
  real clock. Slices: ``[s, min(s + batch - 1 day, end)]``, and the next starts at ``s + batch``
  (``step`` = batch days, ``cursor_granularity`` = 1 day), so with ``batch_size`` = 31 the last
  day of every full 31-day slice is never requested, and a window of an exact multiple of 31
  days ends with an empty ``[end, end]`` request. ``batch_size`` = 1 asks ``[s, s]`` only.

How this runner bounds it (nothing in the installed package is edited):

* Base URL: ``SourceDixa`` is subclassed so that the manifest it parses has its ``url_base``
  origin replaced by ``--base-url``; the rest of the manifest is untouched.
* End: the CDK's ``now_utc`` Jinja macro is frozen at ``--end``, so the end becomes midnight of
  ``--end``'s UTC day. ``--end`` must not be in the future (the CDK's own cap reads the real
  clock). A window whose ends are not UTC midnights therefore cannot be matched: the result's
  ``notes`` say so, and ``coverage_gaps_ms`` shows what was not asked for.
* ``batch_size``: ``--batch-size`` (default 31, the spec's default). A window of at most 30 days
  is then one request ``[start, end]``; longer windows lose a day per slice, by design of the
  connector, and that loss shows in ``coverage_gaps_ms``. The connector's end is a date, so it
  cannot ask ``end - 1`` ms as the tap runner does: against a server whose ``*_before`` is
  inclusive, records at exactly ``end`` ms come back too (our own client filters them out).
* Python 3.11: the connector's lock file pins ``airbyte-cdk`` 0.90.0, whose declarative classes
  use dataclass instances (``JsonDecoder(...)``, ``SinglePartitionRouter(...)``) as field
  defaults. Python 3.11 rejects any unhashable default; 3.10 rejected only list/dict/set, which
  is why the field notes say the connector "needs Python < 3.11" (its own metadata says
  ``<3.12``, so pip installs it without complaint and it then fails at import). The runner
  imports the CDK under :func:`_python310_dataclass_defaults`, which applies the 3.10 rule for
  the duration of the import; nothing runs differently afterwards.
* The CDK's private-network request filter only runs with ``DEPLOYMENT_MODE=cloud``; the runner
  drops that variable so that 127.0.0.1 (and plain http) are allowed, as in a local deployment.
* The connector runs through ``AirbyteEntrypoint.run(["read", ...])`` — the same path as its
  ``source-dixa read`` command — with a catalog selecting ``conversation_export`` incrementally
  and no state, i.e. a first sync.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pkgutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, TextIO

from _peer_common import (
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

PEER = "airbyte-source-dixa"
STREAM = "conversation_export"
HARD_CODED_ORIGIN = "https://exports.dixa.io"
# AirbyteMessage.json(exclude_unset=True) is pydantic-1 json.dumps: default separators,
# "type" first.
RECORD_PREFIX = '{"type": "RECORD"'
ERROR_TRACE_PREFIX = '{"type": "TRACE"'


@contextmanager
def _python310_dataclass_defaults() -> Iterator[None]:
    """Within the block, accept dataclass field defaults the way Python 3.10 did.

    3.11's ``dataclasses._get_field`` raises for a default whose class has ``__hash__ = None``
    (every ``eq=True`` dataclass); 3.10 raised only for list, dict and set. For such a default,
    the class is made hashable just for the check and restored right after, so the field is
    built exactly as 3.10 builds it (one shared default instance, as the CDK's authors wrote).
    """
    original = dataclasses._get_field  # type: ignore[attr-defined]

    def get_field(cls: type, a_name: str, a_type: Any, default_kw_only: bool) -> Any:
        default = getattr(cls, a_name, dataclasses.MISSING)
        if isinstance(default, dataclasses.Field):
            default = default.default
        kind = type(default)
        if (
            default is dataclasses.MISSING
            or kind.__hash__ is not None
            or isinstance(default, list | dict | set)
        ):
            return original(cls, a_name, a_type, default_kw_only)
        had_own = "__hash__" in kind.__dict__
        own = kind.__dict__.get("__hash__")
        kind.__hash__ = object.__hash__  # type: ignore[method-assign]
        try:
            return original(cls, a_name, a_type, default_kw_only)
        finally:
            if had_own:
                kind.__hash__ = own  # type: ignore[method-assign]
            else:
                del kind.__hash__

    dataclasses._get_field = get_field  # type: ignore[attr-defined]
    try:
        yield
    finally:
        dataclasses._get_field = original  # type: ignore[attr-defined]


@contextmanager
def _stdout_to(sink: TextIO) -> Iterator[None]:
    """Within the block, send what the CDK prints on stdout to ``sink`` instead.

    Its LOG messages go through a logging handler bound to ``sys.stdout`` when
    ``airbyte_cdk.entrypoint`` was imported, so swapping ``sys.stdout`` alone is not enough: the
    handlers holding the original stream are pointed at ``sink`` too. In a real ``source-dixa
    read`` those LOG lines share stdout with the records, so they share the output file here.
    """
    original = sys.stdout
    handlers = [
        handler
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler) and handler.stream is original
    ]
    sys.stdout = sink
    for handler in handlers:
        handler.setStream(sink)
    try:
        yield
    finally:
        for handler in handlers:
            handler.setStream(original)
        sys.stdout = original


def _import_connector() -> None:
    """Import the CDK pieces and the connector once, under the 3.10 dataclass rule."""
    with _python310_dataclass_defaults():
        import airbyte_cdk.entrypoint
        import airbyte_cdk.sources.declarative.interpolation.macros  # noqa: F401
        import source_dixa  # noqa: F401


def _pointed_source(base_url: str) -> Any:
    """A ``SourceDixa`` whose manifest asks ``base_url`` instead of the hard-coded origin."""
    from source_dixa import SourceDixa

    target = base_url.rstrip("/")

    class PointedSourceDixa(SourceDixa):  # type: ignore[misc, valid-type]
        """``SourceDixa`` with only the origin of each requester's ``url_base`` replaced."""

        def _read_and_parse_yaml_file(self, path_to_yaml_file: str) -> dict[str, Any]:
            # The base class finds the YAML by this class's package, which is ours: read theirs.
            raw = pkgutil.get_data("source_dixa", path_to_yaml_file)
            if raw is None:
                raise RuntimeError(f"source_dixa has no {path_to_yaml_file}")
            manifest: dict[str, Any] = self._parse(raw.decode())
            for stream in manifest["streams"]:
                requester = stream["retriever"]["requester"]
                url_base: str = requester["url_base"]
                if not url_base.startswith(HARD_CODED_ORIGIN):
                    raise RuntimeError(f"unexpected url_base {url_base!r}: runner needs review")
                requester["url_base"] = target + url_base[len(HARD_CODED_ORIGIN) :]
            return manifest

    return PointedSourceDixa()


def _freeze_now_utc(end: datetime) -> None:
    """Make the manifest's ``now_utc()`` (its only end bound) return ``end``.

    Jinja environments copy the ``macros`` dict when they are built, so this runs before the
    source (and its interpolations) exist.
    """
    from airbyte_cdk.sources.declarative.interpolation import macros

    macros.macros["now_utc"] = lambda: end


def _catalog() -> dict[str, Any]:
    """A configured catalog that selects the one stream as an incremental first sync."""
    return {
        "streams": [
            {
                "stream": {
                    "name": STREAM,
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_cursor": True,
                    "default_cursor_field": ["updated_at"],
                },
                "sync_mode": "incremental",
                "cursor_field": ["updated_at"],
                "destination_sync_mode": "append",
            }
        ]
    }


def _notes(start: datetime, end: datetime, batch_size: int) -> list[str]:
    """Say where the connector's design keeps it from asking exactly ``[start, end)``."""
    notes = ["no messages stream in this connector", f"batch_size={batch_size}"]
    midnight = time(0, tzinfo=UTC)
    if start.timetz() != midnight:
        notes.append("start is not a UTC midnight: the connector starts at that day's midnight")
    if end.timetz() != midnight:
        notes.append("end is not a UTC midnight: the connector stops at that day's midnight")
    if (end - start).days > batch_size - 1:
        notes.append("window longer than batch_size - 1 days: a day per slice is never asked")
    return notes


def main(argv: list[str] | None = None) -> int:
    """Run one bounded read; print the result line; exit 1 if the connector failed."""
    parser = build_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=31, help="connector's batch_size (days)")
    args = parser.parse_args(argv)
    start, end = parse_instant(args.start), parse_instant(args.end)
    check_window(start, end)
    os.environ.pop("DEPLOYMENT_MODE", None)
    _import_connector()
    _freeze_now_utc(end)
    requests_log = log_requests()

    from airbyte_cdk.entrypoint import AirbyteEntrypoint

    config = {
        "api_token": args.token,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "batch_size": args.batch_size,
    }
    counts = {"records": 0}
    errors: list[str] = []
    stdout = real_stdout()
    with (
        tempfile.TemporaryDirectory(prefix="airbyte-dixa-") as scratch,
        open(args.output, "w", encoding="utf-8") as sink,
    ):
        config_path, catalog_path = Path(scratch, "config.json"), Path(scratch, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(_catalog()))
        with _stdout_to(sink):
            source = _pointed_source(args.base_url)
            entrypoint = AirbyteEntrypoint(source)
            parsed = entrypoint.parse_args(
                ["read", "--config", str(config_path), "--catalog", str(catalog_path)]
            )

            def read() -> None:
                # What airbyte_cdk.entrypoint.launch does, with the output going to ``sink``.
                for message in entrypoint.run(parsed):
                    if message.startswith(RECORD_PREFIX):
                        counts["records"] += 1
                    elif message.startswith(ERROR_TRACE_PREFIX) and '"type": "ERROR"' in message:
                        errors.append(message[:1000])
                    sink.write(f"{message}\n")
                    sink.flush()

            watch = Stopwatch()
            error = run_guarded(read)
            seconds = watch.seconds()

    start_ms, end_ms = to_ms(start), to_ms(end)
    emit_result(
        stdout,
        peer=PEER,
        conversations=counts["records"],
        messages=None,
        seconds=seconds,
        extra={
            "window_ms": [start_ms, end_ms],
            "requests": requests_log.entries,
            "coverage_gaps_ms": {
                "conversations": coverage_gaps(
                    requests_log.entries, "/conversation_export", "updated", start_ms, end_ms
                ),
            },
            "notes": _notes(start, end, args.batch_size),
            "error": error or (errors[0] if errors else None),
        },
    )
    return 1 if error or errors else 0


if __name__ == "__main__":
    sys.exit(main())
