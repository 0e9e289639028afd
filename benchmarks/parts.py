"""The benchmark's parts (see ``run_benchmarks.py``): what each measurement runs and
which figures it keeps in :class:`Results`."""

from __future__ import annotations

import os
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from harness import (
    ASSETS,
    BENCH,
    ENDPOINTS,
    FILTERS,
    PEER_RUNNERS,
    PEER_VENVS,
    PYTHON,
    TOKEN,
    WORK,
    DagsterSetup,
    Measured,
    SimulatorSize,
    dagster_setup,
    day_ms,
    fetch,
    lake_rows,
    materialize_cli,
    run_measured,
    run_timeline,
    simulator,
)

from dixa_assets.exports_api import Window


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
    # Whole processes, as a user waits for them: tool -> asset -> figures.
    whole: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    ours_cli: dict[str, Any] = field(default_factory=dict)
    ours_in_process: dict[str, dict[str, Any]] = field(default_factory=dict)
    floor: dict[str, dict[str, Any]] = field(default_factory=dict)
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    ours_on_peer_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    backfill: dict[str, Any] = field(default_factory=dict)


def median_of(runs: Sequence[Measured], pick: Callable[[Measured], float]) -> float:
    """The median of one figure over repeated runs, rounded for the table."""
    return round(statistics.median(pick(run) for run in runs), 3)


def whole_figures(runs: Sequence[Measured], rows: int) -> dict[str, Any]:
    """Median wall seconds and memory of repeated whole-process runs of one command."""
    return {
        "rows": rows,
        "seconds": median_of(runs, lambda r: r.seconds),
        "peak_rss_mb": median_of(runs, lambda r: r.peak_rss_mb),
        "peak_tree_mb": median_of(runs, lambda r: r.peak_tree_mb),
    }


def _each_asset(
    setup_for: Callable[[], DagsterSetup],
    repeat: int,
    scratch: Path,
    label: str,
    measure: Callable[[DagsterSetup, str, Path], Measured],
) -> dict[str, tuple[list[Measured], int]]:
    """Each raw asset measured ``repeat`` times, each time on a fresh instance and lake: the
    runs, and the rows the last one stored (counted from its Parquet files)."""
    measured: dict[str, tuple[list[Measured], int]] = {}
    for asset in ASSETS:
        runs, rows = [], 0
        for attempt in range(repeat):
            setup = setup_for()
            runs.append(measure(setup, asset, scratch / f"{label}-{asset}-{attempt}"))
            rows = lake_rows(setup.data_dir, asset)
        measured[asset] = (runs, rows)
    return measured


def measure_ours_whole(
    setup_for: Callable[[], DagsterSetup], day: date, repeat: int, scratch: Path, label: str
) -> dict[str, dict[str, Any]]:
    """``dagster asset materialize`` of each raw asset alone for the day, as a user runs it."""

    def cli(setup: DagsterSetup, asset: str, log: Path) -> Measured:
        return materialize_cli(setup, str(day), log, (asset,))

    measured = _each_asset(setup_for, repeat, scratch, f"{label}-cli", cli)
    return {asset: whole_figures(runs, rows) for asset, (runs, rows) in measured.items()}


def measure_naive_floor(
    url: str, queries: dict[str, str], repeat: int, scratch: Path
) -> dict[str, dict[str, Any]]:
    """``naive_floor.py`` (urllib, json.loads, from_pylist, Parquet) per endpoint, whole."""
    figures: dict[str, dict[str, Any]] = {}
    for asset, query in queries.items():
        command = [PYTHON, BENCH / "naive_floor.py", url + query, TOKEN, scratch / "naive.parquet"]
        runs = [
            run_measured(command, os.environ, scratch / f"naive-{asset}-{attempt}")
            for attempt in range(repeat)
        ]
        figures[asset] = whole_figures(runs, int(runs[0].result["rows"]))
    return figures


def measure_ours_in_process(
    setup_for: Callable[[], DagsterSetup], day: date, repeat: int, scratch: Path, label: str
) -> dict[str, dict[str, Any]]:
    """Each raw asset alone, in its own process, ``repeat`` times: rows, median s, median RSS."""

    def in_process(setup: DagsterSetup, asset: str, log: Path) -> Measured:
        command = [PYTHON, BENCH / "ingest_ours.py", "--asset", asset, "--partition", str(day)]
        return run_measured(command, setup.env, log)

    measured = _each_asset(setup_for, repeat, scratch, label, in_process)
    return {
        asset: {
            "rows": rows,
            "seconds": median_of(runs, lambda r: float(r.result["seconds"])),
            "peak_rss_mb": median_of(runs, lambda r: r.peak_rss_mb),
            "rss_before_mb": median_of(runs, lambda r: float(r.result["rss_before_mb"])),
            "request_seconds": runs[-1].result["metadata"].get("run_request_seconds"),
        }
        for asset, (runs, rows) in measured.items()
    }


def our_query(day: date, asset: str) -> dict[str, int]:
    """The query parameters our client sends for ``day`` (its window, padded by 1 ms)."""
    after, before = Window(day_ms(day), day_ms(day + timedelta(days=1))).request_bounds()
    name = FILTERS[asset]
    return {f"{name}_after": after, f"{name}_before": before}


def part_ours_and_floor(config: Config, scratch: Path, results: Results) -> None:
    """Parts 1 and 2 against the default (reference-shaped) simulator."""
    day = config.day
    bodies: dict[str, Path] = {}
    queries: dict[str, str] = {}
    with simulator(config.size, scratch / "simulator-main.log") as url:
        print(f"simulator {url}: generating and warming the day...", flush=True)
        for asset in ASSETS:
            # The exact query our client sends, so its answer is in the simulator's cache.
            bodies[asset] = scratch / f"{asset}.json"
            params = our_query(day, asset)
            results.json_bytes[asset] = fetch(url, ENDPOINTS[asset], params, bodies[asset])
            queries[asset] = f"{ENDPOINTS[asset]}?{urlencode(params)}"

        def setup() -> DagsterSetup:
            return dagster_setup(scratch, url, day, 0)

        print("1. ours: dagster asset materialize of each asset, whole process ...", flush=True)
        results.whole["ours"] = measure_ours_whole(setup, day, config.repeat, scratch, "ours")
        print("2. naive floor: urllib + json.loads + from_pylist + Parquet, whole ...", flush=True)
        results.whole["naive floor"] = measure_naive_floor(url, queries, config.repeat, scratch)

        print("1. ours: dagster asset materialize of both assets in one run ...", flush=True)
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
            "peak_tree_mb": median_of(cli_runs, lambda r: r.peak_tree_mb),
            "run_seconds": round(statistics.median(t.run_seconds for t in timelines), 2),
            "steps": timelines[-1].steps,
            "api_steps_overlapped": timelines[-1].api_steps_overlapped,
        }
        print("1. ours: each asset in process ...", flush=True)
        results.ours_in_process = measure_ours_in_process(
            setup, day, config.repeat, scratch, "ours"
        )

    print("2. floor: saved bodies to Parquet, in process ...", flush=True)
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
                "whole_seconds": median_of(runs, lambda r: r.seconds),
                "peak_rss_mb": median_of(runs, lambda r: r.peak_rss_mb),
                "peak_tree_mb": median_of(runs, lambda r: r.peak_tree_mb),
            }
        best = min(methods, key=lambda m: methods[m]["seconds"])
        results.floor[asset] = {"best": best, **methods[best], "methods": methods}
        body.unlink()


def run_peer(
    peer: str, url: str, day: date, scratch: Path, extra: Sequence[str] = ()
) -> dict[str, Any]:
    """One peer runner in its own venv over ``[day, day + 1)``: its result line (``seconds``
    is its own stopwatch around the extraction) plus the whole process's wall and memory."""
    python = WORK / PEER_VENVS[peer] / "bin" / "python"
    command = [
        python, BENCH / "peers" / PEER_RUNNERS[peer], "--base-url", url, "--token", TOKEN,
        "--start", day.isoformat(), "--end", (day + timedelta(days=1)).isoformat(), *extra,
    ]  # fmt: skip
    measured = run_measured(command, os.environ, scratch / f"peer-{peer}-{'-'.join(extra)}")
    line = measured.result
    records = {k: v for k, v in line["records"].items() if v is not None}
    return {
        "records": records,
        "seconds": line["seconds"],
        "whole_seconds": round(measured.seconds, 3),
        "peak_rss_mb": measured.peak_rss_mb,
        "peak_tree_mb": measured.peak_tree_mb,
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
        print(f"3. peers: tap-dixa against {url}, one stream at a time ...", flush=True)
        warm_peer_queries(url, day, -1, ASSETS, scratch)
        for stream in ("conversations", "messages"):
            results.peers[f"tap-dixa {stream}"] = run_peer(
                "tap-dixa", url, day, scratch, ("--streams", stream)
            )
        print("3. peers: ours on the same objects-only data ...", flush=True)
        for asset in ASSETS:  # our exact query, cached as on the reference data's simulator
            fetch(url, ENDPOINTS[asset], our_query(day, asset), scratch / "warm.json")

        def peer_setup() -> DagsterSetup:
            return dagster_setup(scratch, url, day, 0)

        results.whole["ours on the peers' data"] = measure_ours_whole(
            peer_setup, day, 1, scratch, "ours-peer-data"
        )
        results.ours_on_peer_data = measure_ours_in_process(
            peer_setup, day, 1, scratch, "ours-peer-data"
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
