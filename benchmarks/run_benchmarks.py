"""Issue 4's benchmark in one command: our ingest against the floor, the peers and the rate limit.

    .venv/bin/python benchmarks/run_benchmarks.py            # full size: one day of 100k
                                                             # conversations (~0.8M messages)
    .venv/bin/python benchmarks/run_benchmarks.py --quick    # 5k conversations, 62-day backfill

Everything runs against the project's simulator on 127.0.0.1, started here as a subprocess, and
every measured tool runs in a process of its own, whose peak RSS comes from ``os.wait4`` (the
maximum over the process and the children it waited for: for a Dagster run, its step
processes). See ``benchmarks/README.md`` for what each number means and the latest results.

1. OURS: ``dagster asset materialize`` of both raw assets for the day, as a user runs it (fresh
   ``DAGSTER_HOME`` with the repo's ``dagster.yaml``), and each asset alone in process
   (``ingest_ours.py``: the same definitions without the CLI's start-up).
2. FLOOR: the two response bodies our client receives, saved once, then decoded and written to
   Parquet without HTTP or Dagster (``floor.py``); the fastest method per endpoint is the floor.
3. PEERS: tap-dixa and Airbyte source-dixa from PyPI in their own venvs (``peers/``), against a
   simulator with the same seed and size whose ``tags_info`` items are all objects and which
   accepts tap-dixa's legacy Basic auth. Airbyte (~200 records/s) gets a smaller organisation.
4. BACKFILL: a year of both assets as one single-run backfill through the CLI, against a
   simulator with a rate limit and latency, compared with the time the rate limit imposes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pyarrow.parquet as pq
from dagster import DagsterEventType, DagsterInstance

from dixa_assets.exports_api import Window

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"
# The project's venv, else the interpreter running this (a worktree using a shared venv).
PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = PYTHON if PYTHON.exists() else Path(sys.executable)
DAGSTER = ROOT / ".venv" / "bin" / "dagster"
TOKEN = "benchmark-token"
ASSETS = ("dixa_conversations", "dixa_messages")
ENDPOINTS = {"dixa_conversations": "/v1/conversation_export", "dixa_messages": "/v1/message_export"}
FILTERS = {"dixa_conversations": "updated", "dixa_messages": "created"}
PEER_VENVS = {"tap-dixa": "venv-tap-dixa", "airbyte-source-dixa": "venv-airbyte-dixa"}
PEER_RUNNERS = {"tap-dixa": "run_tap_dixa.py", "airbyte-source-dixa": "run_airbyte_dixa.py"}
MIB = 1024 * 1024


# Processes and their cost.


@dataclass(frozen=True)
class Measured:
    """A finished subprocess: wall seconds, peak RSS (MiB) and its last stdout line as JSON."""

    seconds: float
    peak_rss_mb: float
    result: dict[str, Any]


class BenchmarkError(RuntimeError):
    """A measured process failed; the message carries the tail of its stderr."""


# Linux starts a child's ``ru_maxrss`` at the high-water mark of the process it was forked from
# (``exec`` folds the old address space's peak in), so measured commands are started by this
# small launcher, not by the benchmark itself, whose own RSS would otherwise be every child's
# floor. The launcher's few MiB are the floor instead; it writes the peak (KiB) to argv[1].
_LAUNCHER = """
import os, sys
report, argv = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as sink:
    sink.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(
    command: Sequence[str | Path], env: Mapping[str, str], log: Path, *, json_line: bool = True
) -> Measured:
    """Run ``command`` (its first item an absolute path) to completion and measure it.

    The peak RSS is ``ru_maxrss`` from ``wait4``: the maximum over the process and every
    descendant it reaped, so a Dagster run's figure is its largest step process, not a sum.
    stdout and stderr go to files (``log``.out/.err), which also avoids pipe deadlocks.
    """
    out, err, peak = (log.with_suffix(suffix) for suffix in (".out", ".err", ".rss"))
    launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(peak), *map(str, command)]
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        started = time.perf_counter()
        returncode = subprocess.run(
            launcher, env=dict(env), stdout=stdout, stderr=stderr, cwd=ROOT, check=False
        ).returncode
        seconds = time.perf_counter() - started
    lines = out.read_text().strip().splitlines()
    if returncode != 0 and not (json_line and lines and lines[-1].startswith("{")):
        tail = err.read_text()[-3000:]
        raise BenchmarkError(f"{command[0]} ... exited {returncode}:\n{tail}")
    result = json.loads(lines[-1]) if json_line else {}
    return Measured(seconds, round(int(peak.read_text()) / 1024, 1), result)


@dataclass(frozen=True)
class SimulatorSize:
    """The synthetic organisation a simulator serves (same seed everywhere)."""

    conversations_per_day: int
    messages_per_conversation: float
    history_start: date
    history_end: date
    now: date


@contextmanager
def simulator(
    size: SimulatorSize,
    log: Path,
    *,
    requests_per_minute: float = 0,
    latency_ms: float = 0,
    for_peers: bool = False,
) -> Iterator[str]:
    """Serve ``size`` on a free loopback port; yields the base URL; SIGTERM on exit.

    ``for_peers``: ``tags_info`` items all objects and tap-dixa's legacy Basic auth accepted;
    every other value is identical to the default simulator's (same seed, same draws).
    """
    command = [
        PYTHON, "-m", "dixa_assets.simulator", "--port", "0", "--token", TOKEN,
        "--conversations-per-day", str(size.conversations_per_day),
        "--messages-per-conversation", str(size.messages_per_conversation),
        "--history-start", size.history_start.isoformat(),
        "--history-end", size.history_end.isoformat(), "--now", size.now.isoformat(),
        "--requests-per-minute", str(requests_per_minute), "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    if for_peers:
        command += ["--accept-legacy-basic-auth", "--tags-info-shape", "objects"]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [str(part) for part in command], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("Dixa Exports simulator listening on "):
            raise BenchmarkError(f"simulator did not start: {line!r}; see {log}")
        yield line.rsplit(" ", 1)[1]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(base_url: str, path: str, params: Mapping[str, int | str], target: Path) -> int:
    """One export request with the documented Bearer header (which also warms the simulator's
    cache), streamed to ``target`` so that no body stays in this process; returns its bytes."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        httpx.stream(
            "GET", base_url + path, params=dict(params), headers=headers, timeout=600
        ) as response,
        open(target, "wb") as sink,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes(1 << 20):
            sink.write(chunk)
    return target.stat().st_size


def day_ms(day: date) -> int:
    """Epoch milliseconds of ``day``'s UTC midnight."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


# Our runs through Dagster.


@dataclass(frozen=True)
class DagsterSetup:
    """A fresh instance and lake for one run, and the environment pointing both at a simulator."""

    home: Path
    data_dir: Path
    env: dict[str, str]


def dagster_setup(
    scratch: Path, base_url: str, start: date, requests_per_minute: float
) -> DagsterSetup:
    """A new ``DAGSTER_HOME`` (with the repo's ``dagster.yaml``) and lake under ``scratch``."""
    home, data_dir = Path(tempfile.mkdtemp(dir=scratch, prefix="dagster-home-")), scratch / "lake"
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DIXA_API_BASE_URL": base_url,
        "DIXA_MAIN_API_BASE_URL": f"{base_url}/v1",
        "DIXA_API_TOKEN": TOKEN,
        "DIXA_DATA_DIR": str(data_dir),
        "DIXA_DUCKDB_PATH": str(data_dir / "dixa.duckdb"),
        "DIXA_START_DATE": start.isoformat(),
        "DIXA_TIMEZONE": "UTC",
        "DIXA_REQUESTS_PER_MINUTE": str(requests_per_minute),
    }
    return DagsterSetup(home, data_dir, env)


def lake_rows(data_dir: Path, asset: str) -> int:
    """Rows stored for ``asset``, from the Parquet footers (not from the run's own metadata)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in (data_dir / asset).glob("*.parquet"))


@dataclass(frozen=True)
class RunTimeline:
    """What the run's event log says: the run's duration and each step's [start, end] offsets."""

    run_seconds: float
    steps: dict[str, tuple[float, float]]

    @property
    def api_steps_overlapped(self) -> bool:
        """Whether the two raw assets' steps (the ones calling the API) ran at the same time.

        Their asset checks run as steps of their own and are left out: they call no API.
        """
        spans = sorted(span for key, span in self.steps.items() if key in ASSETS)
        return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def run_timeline(home: Path) -> RunTimeline:
    """Read the only run of the instance at ``home``."""
    kinds = {
        DagsterEventType.RUN_START,
        DagsterEventType.RUN_SUCCESS,
        DagsterEventType.STEP_START,
        DagsterEventType.STEP_SUCCESS,
    }
    # The repo's dagster.yaml reads DAGSTER_HOME from the environment, as in a real deployment.
    with (
        patch.dict(os.environ, {"DAGSTER_HOME": str(home)}),
        DagsterInstance.from_config(str(home)) as instance,
    ):
        (run,) = instance.get_runs()
        events = [e for e in instance.all_logs(run.run_id) if e.dagster_event_type in kinds]
    origin = min(e.timestamp for e in events)
    run_seconds = max(e.timestamp for e in events) - origin
    starts: dict[str, float] = {}
    steps: dict[str, tuple[float, float]] = {}
    for event in events:
        key = event.step_key
        if event.dagster_event_type is DagsterEventType.STEP_START and key:
            starts[key] = event.timestamp - origin
        elif event.dagster_event_type is DagsterEventType.STEP_SUCCESS and key:
            steps[key] = (round(starts[key], 2), round(event.timestamp - origin, 2))
    return RunTimeline(round(run_seconds, 2), steps)


def materialize_cli(setup: DagsterSetup, partitions: str, log: Path) -> Measured:
    """``dagster asset materialize`` of both raw assets; ``partitions`` is the CLI's option."""
    flag = "--partition-range" if "..." in partitions else "--partition"
    command = [
        DAGSTER, "asset", "materialize", "-m", "dixa_assets.definitions",
        "--select", ",".join(ASSETS), flag, partitions,
    ]  # fmt: skip
    return run_measured(command, setup.env, log, json_line=False)


# The benchmark's parts.


@dataclass
class Config:
    """Sizes and repeats for one benchmark run (``--quick`` shrinks them)."""

    day: date
    conversations_per_day: int
    messages_per_conversation: float
    airbyte_conversations_per_day: int
    repeat: int
    backfill_requests_per_minute: float
    backfill_latency_ms: float
    backfill_conversations_per_day: int
    backfill_days: int
    peers: bool
    backfill: bool

    @property
    def size(self) -> SimulatorSize:
        """One day of conversations, its clock at the next midnight (when a daily run fetches)."""
        next_day = self.day + timedelta(days=1)
        return SimulatorSize(
            self.conversations_per_day, self.messages_per_conversation, self.day, self.day, next_day
        )


@dataclass
class Results:
    """Every figure of the run, written as JSON next to the printed table."""

    config: dict[str, Any]
    json_bytes: dict[str, int] = field(default_factory=dict)
    ours_cli: dict[str, Any] = field(default_factory=dict)
    ours_in_process: dict[str, dict[str, Any]] = field(default_factory=dict)
    floor: dict[str, dict[str, Any]] = field(default_factory=dict)
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    ours_on_peer_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    backfill: dict[str, Any] = field(default_factory=dict)


def median_of(runs: Sequence[Measured], pick: Callable[[Measured], float]) -> float:
    """The median of one figure over repeated runs, rounded for the table."""
    return round(statistics.median(pick(run) for run in runs), 3)


def measure_ours_in_process(
    setup_for: Callable[[], DagsterSetup], day: date, repeat: int, scratch: Path, label: str
) -> dict[str, dict[str, Any]]:
    """Each raw asset alone, in its own process, ``repeat`` times: rows, median s, median RSS."""
    figures: dict[str, dict[str, Any]] = {}
    for asset in ASSETS:
        runs, rows = [], 0
        for attempt in range(repeat):
            setup = setup_for()
            command = [PYTHON, BENCH / "ingest_ours.py", "--asset", asset, "--partition", str(day)]
            runs.append(run_measured(command, setup.env, scratch / f"{label}-{asset}-{attempt}"))
            rows = lake_rows(setup.data_dir, asset)
        figures[asset] = {
            "rows": rows,
            "seconds": median_of(runs, lambda r: float(r.result["seconds"])),
            "peak_rss_mb": median_of(runs, lambda r: r.peak_rss_mb),
            "rss_before_mb": median_of(runs, lambda r: float(r.result["rss_before_mb"])),
            "request_seconds": runs[-1].result["metadata"].get("run_request_seconds"),
        }
    return figures


def part_ours_and_floor(config: Config, scratch: Path, results: Results) -> None:
    """Parts 1 and 2 against the default (reference-shaped) simulator."""
    day, next_day = config.day, config.day + timedelta(days=1)
    window = Window(day_ms(day), day_ms(next_day))
    after, before = window.request_bounds()
    bodies: dict[str, Path] = {}
    with simulator(config.size, scratch / "simulator-main.log") as url:
        print(f"simulator {url}: generating and warming the day...", flush=True)
        for asset in ASSETS:
            name = FILTERS[asset]
            # The exact query our client sends, so its answer is in the simulator's cache.
            bodies[asset] = scratch / f"{asset}.json"
            params = {f"{name}_after": after, f"{name}_before": before}
            results.json_bytes[asset] = fetch(url, ENDPOINTS[asset], params, bodies[asset])

        def setup() -> DagsterSetup:
            return dagster_setup(scratch, url, day, 0)

        print("1. ours: dagster asset materialize ...", flush=True)
        cli_runs, timelines, rows = [], [], {}
        for attempt in range(config.repeat):
            cli_setup = setup()
            cli_runs.append(materialize_cli(cli_setup, str(day), scratch / f"ours-cli-{attempt}"))
            timelines.append(run_timeline(cli_setup.home))
            rows = {asset: lake_rows(cli_setup.data_dir, asset) for asset in ASSETS}
        results.ours_cli = {
            "rows": rows,
            "seconds": median_of(cli_runs, lambda r: r.seconds),
            "peak_rss_mb": median_of(cli_runs, lambda r: r.peak_rss_mb),
            "run_seconds": round(statistics.median(t.run_seconds for t in timelines), 2),
            "steps": timelines[-1].steps,
            "api_steps_overlapped": timelines[-1].api_steps_overlapped,
        }
        print("1. ours: each asset in process ...", flush=True)
        results.ours_in_process = measure_ours_in_process(
            setup, day, config.repeat, scratch, "ours"
        )

    print("2. floor: saved bodies to Parquet ...", flush=True)
    for asset, body in bodies.items():
        methods: dict[str, dict[str, Any]] = {}
        for method in ("orjson-arrow", "duckdb"):
            command = [
                PYTHON, BENCH / "floor.py", "--method", method, "--input", body,
                "--output", scratch / f"floor-{asset}.parquet",
            ]  # fmt: skip
            log = scratch / f"floor-{asset}-{method}"
            runs = [
                run_measured(command, os.environ, log.with_name(f"{log.name}-{attempt}"))
                for attempt in range(config.repeat)
            ]
            methods[method] = {
                "rows": runs[0].result["rows"],
                "seconds": median_of(runs, lambda r: float(r.result["seconds"])),
                "peak_rss_mb": median_of(runs, lambda r: r.peak_rss_mb),
            }
        best = min(methods, key=lambda m: methods[m]["seconds"])
        results.floor[asset] = {"best": best, **methods[best], "methods": methods}
        body.unlink()


def run_peer(peer: str, url: str, day: date, scratch: Path) -> dict[str, Any]:
    """One peer runner in its own venv over ``[day, day + 1)``; its result line plus our RSS."""
    python = WORK / PEER_VENVS[peer] / "bin" / "python"
    command = [
        python, BENCH / "peers" / PEER_RUNNERS[peer], "--base-url", url, "--token", TOKEN,
        "--start", day.isoformat(), "--end", (day + timedelta(days=1)).isoformat(),
    ]  # fmt: skip
    measured = run_measured(command, os.environ, scratch / f"peer-{peer}")
    line = measured.result
    records = {k: v for k, v in line["records"].items() if v is not None}
    return {
        "records": records,
        "seconds": line["seconds"],
        "peak_rss_mb": measured.peak_rss_mb,
        "error": line["error"],
        "requests": [(r["path"], r["params"], r["status"]) for r in line["requests"]],
        "coverage_gaps_ms": line["coverage_gaps_ms"],
    }


def warm_peer_queries(
    url: str, day: date, before_offset_ms: int, endpoints: Sequence[str], scratch: Path
) -> None:
    """Ask what a peer will ask, so its answer is cached as ours was (bounds: see the runners).

    tap-dixa asks ``[start, end - 1]`` (both inclusive), Airbyte ``[start, end]``.
    """
    start, end = day_ms(day), day_ms(day + timedelta(days=1))
    for asset in endpoints:
        name = FILTERS[asset]
        params = {f"{name}_after": start, f"{name}_before": end + before_offset_ms}
        fetch(url, ENDPOINTS[asset], params, scratch / "warm.json")


def part_peers(config: Config, scratch: Path, results: Results) -> None:
    """Part 3: each peer, and ours again on the peers' (objects-only tags_info) data."""
    subprocess.run(["bash", str(BENCH / "peers" / "setup_peers.sh")], check=True)
    day = config.day
    with simulator(config.size, scratch / "simulator-peers.log", for_peers=True) as url:
        print(f"3. peers: tap-dixa against {url} ...", flush=True)
        warm_peer_queries(url, day, -1, ASSETS, scratch)
        results.peers["tap-dixa"] = run_peer("tap-dixa", url, day, scratch)
        print("3. peers: ours on the same objects-only data ...", flush=True)
        results.ours_on_peer_data = measure_ours_in_process(
            lambda: dagster_setup(scratch, url, day, 0), day, 1, scratch, "ours-peer-data"
        )
    airbyte_size = SimulatorSize(
        config.airbyte_conversations_per_day,
        config.messages_per_conversation,
        day,
        day,
        day + timedelta(days=1),
    )
    with simulator(airbyte_size, scratch / "simulator-airbyte.log", for_peers=True) as url:
        print(f"3. peers: airbyte-source-dixa against {url} (smaller day) ...", flush=True)
        warm_peer_queries(url, day, 0, ("dixa_conversations",), scratch)
        airbyte = run_peer("airbyte-source-dixa", url, day, scratch)
        airbyte["conversations_per_day"] = airbyte_size.conversations_per_day
        results.peers["airbyte-source-dixa"] = airbyte


def part_backfill(config: Config, scratch: Path, results: Results) -> None:
    """Part 4: a year's single-run backfill under a rate limit and latency, against its bound."""
    rpm, latency_ms = config.backfill_requests_per_minute, config.backfill_latency_ms
    first = date(2024, 3, 1)
    last = first + timedelta(days=config.backfill_days - 1)
    size = SimulatorSize(
        config.backfill_conversations_per_day, 4.0, first, last, last + timedelta(days=1)
    )
    year = Window(day_ms(first), day_ms(last + timedelta(days=1)))
    per_endpoint = len(year.split())
    requests = per_endpoint * len(ASSETS)
    log = scratch / "simulator-backfill.log"
    with simulator(size, log, requests_per_minute=rpm, latency_ms=latency_ms) as url:
        # Generate every day before the clock starts (the control endpoints are not rate
        # limited): what is timed is the API's pace, not the simulator building its data.
        for asset in ("conversations", "messages"):
            params = {"start_ms": year.start_ms - 6 * 86_400_000, "end_ms": year.end_ms}
            httpx.get(f"{url}/_sim/truth/{asset}", params=params, timeout=600).raise_for_status()
        setup = dagster_setup(scratch, url, first, rpm)
        print(f"4. backfill: {first}...{last} at {rpm:g}/min, {latency_ms:g} ms ...", flush=True)
        measured = materialize_cli(setup, f"{first}...{last}", scratch / "backfill-cli")
        stats = httpx.get(f"{url}/_sim/stats", timeout=30).json()
        timeline = run_timeline(setup.home)
    interval = 60.0 / rpm
    # The token's limit, read strictly (no bursts, as our pacer reads it): the requests of both
    # assets share it, so the last of them cannot start before (n - 1) intervals have passed.
    bound = (requests - 1) * interval + latency_ms / 1000
    results.backfill = {
        "days": config.backfill_days,
        "requests_per_minute": rpm,
        "latency_ms": latency_ms,
        "min_requests": requests,
        "bound_seconds": round(bound, 2),
        "per_step_bound_seconds": round((per_endpoint - 1) * interval + latency_ms / 1000, 2),
        "seconds": round(measured.seconds, 2),
        "run_seconds": timeline.run_seconds,
        "steps": timeline.steps,
        "api_steps_overlapped": timeline.api_steps_overlapped,
        "peak_rss_mb": measured.peak_rss_mb,
        "rows": {asset: lake_rows(setup.data_dir, asset) for asset in ASSETS},
        "server_requests": stats["requests"],
    }


# Reporting.


def rate(rows: int, seconds: float) -> float:
    """Records per second, for the table."""
    return rows / seconds if seconds else math.nan


def _total(figures: Iterable[Mapping[str, Any]]) -> tuple[int, float, float]:
    """Rows and seconds summed, peak RSS the largest: several runs taken as one."""
    listed = list(figures)
    rows = sum(int(f["rows"]) for f in listed)
    return rows, sum(float(f["seconds"]) for f in listed), max(f["peak_rss_mb"] for f in listed)


def report(results: Results) -> str:
    """The table of figures and ratios, as printed and pasted into the README."""
    row = "| {:<48} | {:>9} | {:>8} | {:>10} | {:>8} |"
    lines = [
        row.format("measurement", "records", "seconds", "records/s", "peak MiB"),
        row.format("-" * 48, "-" * 9, "-" * 8, "-" * 10, "-" * 8),
    ]

    def add(label: str, rows: int, seconds: float, rss: float) -> float:
        speed = rate(rows, seconds)
        lines.append(row.format(label, rows, f"{seconds:.2f}", f"{speed:,.0f}", f"{rss:,.0f}"))
        return speed

    cli = results.ours_cli
    cli_rows = sum(cli["rows"].values())
    ours_cli = add("ours: dagster asset materialize, both (wall)", cli_rows, *_cli_cost(cli))
    ours = {
        asset: add(f"ours in process: {asset}", *_total([figures]))
        for asset, figures in results.ours_in_process.items()
    }
    ours_both = add("ours in process: both (sum)", *_total(results.ours_in_process.values()))
    floor = {
        asset: add(f"floor ({figures['best']}): {asset}", *_total([figures]))
        for asset, figures in results.floor.items()
    }
    floor_both = add("floor: both (sum)", *_total(results.floor.values()))
    peers = {
        peer: add(
            f"{peer}: {'+'.join(f['records'])}",
            sum(f["records"].values()),
            f["seconds"],
            f["peak_rss_mb"],
        )
        for peer, f in results.peers.items()
    }
    same_data = math.nan
    if results.ours_on_peer_data:
        same_data = add("ours in process on the peers' data: both (sum)",
                        *_total(results.ours_on_peer_data.values()))  # fmt: skip

    lines += ["", "| ratio | value |", "| --- | ---: |"]

    def ratio(label: str, value: float) -> None:
        lines.append(f"| {label} | {value:.2f} |")

    for asset in ASSETS:
        ratio(f"ours / floor records/s: {asset} (in process)", ours[asset] / floor[asset])
    ratio("ours / floor records/s: both (in process)", ours_both / floor_both)
    ratio("ours / floor records/s: both (CLI wall, with start-up)", ours_cli / floor_both)
    if "tap-dixa" in peers:
        ratio("ours / tap-dixa records/s: same data (in process)", same_data / peers["tap-dixa"])
        ratio("ours / tap-dixa records/s: CLI wall, reference data", ours_cli / peers["tap-dixa"])
    if "airbyte-source-dixa" in peers:
        airbyte = peers["airbyte-source-dixa"]
        ratio("ours / airbyte records/s: conversations (in process)",
              ours["dixa_conversations"] / airbyte)  # fmt: skip
        ratio("ours / airbyte records/s: CLI wall, both", ours_cli / airbyte)
    for asset, size in results.json_bytes.items():
        lines.append(f"| {asset}: one window's JSON, MiB | {size / MIB:.1f} |")
        figures = results.ours_in_process[asset]
        ratio(f"peak RSS / window JSON: {asset} (in process)", figures["peak_rss_mb"] * MIB / size)
        data_share = figures["peak_rss_mb"] - figures["rss_before_mb"]
        ratio(f"(peak - RSS after imports) / window JSON: {asset}", data_share * MIB / size)
    largest = max(results.json_bytes.values())
    ratio("peak RSS / largest window JSON: CLI (largest step)", cli["peak_rss_mb"] * MIB / largest)
    if results.backfill:
        b = results.backfill
        lines += [
            f"| backfill: {b['days']} days, {b['requests_per_minute']:g}/min, "
            f"{b['latency_ms']:g} ms; CLI wall s | {b['seconds']:.1f} |",
            f"| backfill: run s (event log, no CLI start-up) | {b['run_seconds']:.1f} |",
            f"| backfill: rate-limit bound s ({b['min_requests']} requests) | "
            f"{b['bound_seconds']:.1f} |",
            f"| backfill: API steps overlapped | {b['api_steps_overlapped']} |",
        ]
        ratio("backfill CLI wall / bound", b["seconds"] / b["bound_seconds"])
        ratio("backfill run / bound", b["run_seconds"] / b["bound_seconds"])
    return "\n".join(lines)


def _cli_cost(cli: Mapping[str, Any]) -> tuple[float, float]:
    """Seconds and peak RSS of the CLI measurement, in the order ``add`` takes them."""
    return float(cli["seconds"]), float(cli["peak_rss_mb"])


def build_config(args: argparse.Namespace) -> Config:
    """Full-size or ``--quick`` settings, with any explicit option winning."""
    quick = args.quick
    return Config(
        day=date(2025, 3, 3),
        conversations_per_day=args.conversations_per_day or (5_000 if quick else 100_000),
        messages_per_conversation=10.0,
        airbyte_conversations_per_day=args.airbyte_conversations_per_day
        or (1_000 if quick else 20_000),
        repeat=args.repeat or (3 if quick else 1),
        backfill_requests_per_minute=args.backfill_requests_per_minute or (120 if quick else 30),
        backfill_latency_ms=args.backfill_latency_ms,
        backfill_conversations_per_day=100,
        backfill_days=62 if quick else 365,
        peers=not args.skip_peers,
        backfill=not args.skip_backfill,
    )


def main(argv: list[str] | None = None) -> int:
    """Run every part, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 62-day backfill")
    parser.add_argument("--repeat", type=int, help="runs per measurement (median); 1 full, 3 quick")
    parser.add_argument("--conversations-per-day", type=int, help="size of the benchmark day")
    parser.add_argument("--airbyte-conversations-per-day", type=int, help="Airbyte's day")
    parser.add_argument("--backfill-requests-per-minute", type=float, help="30 full, 120 quick")
    parser.add_argument("--backfill-latency-ms", type=float, default=500.0)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--output", type=Path, help="results JSON (default under .work/)")
    args = parser.parse_args(argv)
    config = build_config(args)
    results = Results(config={k: str(v) for k, v in vars(config).items()})
    # Other work on the machine skews every figure: record how busy it was.
    results.config["load_average_at_start"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=WORK, prefix="run-") as tmp:
        scratch = Path(tmp)
        part_ours_and_floor(config, scratch, results)
        if config.peers:
            part_peers(config, scratch, results)
        if config.backfill:
            part_backfill(config, scratch, results)
    output = args.output or WORK / f"results-{'quick' if args.quick else 'full'}.json"
    output.write_text(json.dumps(results.__dict__, indent=2, default=str))
    print()
    print(f"$ {' '.join(['.venv/bin/python', 'benchmarks/run_benchmarks.py', *sys.argv[1:]])}")
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"({os.cpu_count()} cores, load average {load} at the end; "
          f"{time.perf_counter() - started:.0f} s in all; {output})")  # fmt: skip
    print()
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
