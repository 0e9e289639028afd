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
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from harness import WORK
from parts import Config, Results, part_backfill, part_ours_and_floor, part_peers
from report import report


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
