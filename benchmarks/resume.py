"""A year's backfill, clean and failing part-way, then resumed: requests and wall time.

Starts the simulator with a rate limit and latency (as part 4 of ``run_benchmarks.py``), then:

1. ``dagster asset materialize`` of both raw assets over the whole range: requests per endpoint,
   wall time, and materialization events recorded;
2. the same on a fresh instance and lake, with the third ``/v1/message_export`` request rejected
   (a scripted 400, which fails the step at once), then "materialize missing": the missing days
   of ``dixa_messages`` according to the Dagster instance, in one run. Reports how many days the
   failed run kept and what the resume cost.

    .venv/bin/python benchmarks/resume.py [--days 365] [--requests-per-minute 30] [--latency-ms 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from unittest.mock import patch

import httpx
from dagster import AssetKey, DagsterEventType, DagsterInstance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    DAGSTER,
    WORK,
    SimulatorSize,
    dagster_setup,
    day_ms,
    simulator,
)

MESSAGES = "dixa_messages"


def cli(setup, select: str, first: date, last: date, log: Path) -> tuple[float, int]:
    command = [
        str(DAGSTER), "asset", "materialize", "-m", "dixa_assets.definitions",
        "--select", select, "--partition-range", f"{first}...{last}",
    ]  # fmt: skip
    with open(log, "wb") as sink:
        started = time.perf_counter()
        code = subprocess.run(command, env=setup.env, stdout=sink, stderr=sink).returncode
    return round(time.perf_counter() - started, 2), code


def export_requests(url: str) -> dict[str, int]:
    stats = httpx.get(f"{url}/_sim/stats", timeout=30).json()["requests"]
    return {path: sum(counts.values()) for path, counts in stats.items() if path.startswith("/v1")}


def instance_figures(home: Path, first: date, days: int) -> tuple[list[str], int]:
    """Materialized days of dixa_messages, and materialization events of both raw assets."""
    with (
        patch.dict(os.environ, {"DAGSTER_HOME": str(home)}),
        DagsterInstance.from_config(str(home)) as instance,
    ):
        kept = sorted(instance.get_materialized_partitions(AssetKey(MESSAGES)))
        events = 0
        for run in instance.get_runs():
            events += sum(
                1
                for e in instance.all_logs(run.run_id)
                if e.dagster_event_type is DagsterEventType.ASSET_MATERIALIZATION
            )
    everything = [str(first + timedelta(n)) for n in range(days)]
    return [d for d in everything if d not in kept], events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests-per-minute", type=float, default=30.0)
    parser.add_argument("--latency-ms", type=float, default=500.0)
    args = parser.parse_args()
    first = date(2024, 3, 1)
    last = first + timedelta(days=args.days - 1)
    size = SimulatorSize(100, 4.0, first, last, last + timedelta(days=1))
    rpm = args.requests_per_minute
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(dir=WORK, prefix="resume-") as tmp:
        scratch = Path(tmp)
        with simulator(size, scratch / "sim.log", requests_per_minute=rpm,
                       latency_ms=args.latency_ms) as url:  # fmt: skip
            for asset in ("conversations", "messages"):  # build the data before timing
                params = {"start_ms": day_ms(first) - 6 * 86_400_000, "end_ms": day_ms(last) + 1}
                httpx.get(f"{url}/_sim/truth/{asset}", params=params, timeout=600)
            both = "dixa_conversations,dixa_messages"

            (scratch / "clean").mkdir()
            (scratch / "broken").mkdir()
            clean = dagster_setup(scratch / "clean", url, first, rpm)
            seconds, code = cli(clean, both, first, last, scratch / "clean.log")
            missing, events = instance_figures(clean.home, first, args.days)
            results["clean"] = {
                "exit": code, "seconds": seconds, "requests": export_requests(url),
                "materialization_events": events, "missing_days": len(missing),
            }  # fmt: skip

            before = export_requests(url)
            inject = [
                {"kind": "slow", "seconds": 0, "count": 2, "endpoint": "message_export"},
                {"kind": "400", "count": 1, "endpoint": "message_export"},
            ]
            httpx.post(f"{url}/_sim/faults", json={"inject": inject}, timeout=30)
            broken = dagster_setup(scratch / "broken", url, first, rpm)
            seconds, code = cli(broken, both, first, last, scratch / "broken.log")
            missing, _ = instance_figures(broken.home, first, args.days)
            failed = export_requests(url)
            resume_seconds, resume_code = cli(
                broken,
                MESSAGES,
                date.fromisoformat(missing[0]),
                date.fromisoformat(missing[-1]),
                scratch / "resume.log",
            )
            after = export_requests(url)
            path = "/v1/message_export"
            results["failing_at_third_window"] = {
                "exit": code,
                "seconds": seconds,
                "days_kept": args.days - len(missing),
                "resume_days": len(missing),
                "resume_exit": resume_code,
                "resume_seconds": resume_seconds,
                "resume_message_requests": after[path] - failed[path],
                "failed_run_message_requests": failed[path] - before.get(path, 0),
            }
    results["load_average_at_end"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
