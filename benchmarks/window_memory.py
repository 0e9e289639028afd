"""One 31-day window at two sizes: peak RSS of each, their ratio, and records/s (issue 12, item 4).

For each size, a simulator (as in ``run_benchmarks.py``) serves an organisation of N
conversations a day, 10 messages each on average; each raw asset then materializes the 31 days
2025-01-01...2025-01-31 as one single-run backfill, alone in a process of its own (the project's
definitions through ``dagster.materialize``, as ``ingest_ours.py`` does for one day). Its peak
RSS comes from ``wait4`` (see ``run_measured``); records are counted from the Parquet files.

    python benchmarks/window_memory.py [--small 1000] [--ratio 4]

Memory is flat when the large window's peak is at most 1.3x the small one's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ASSETS,
    WORK,
    SimulatorSize,
    dagster_setup,
    day_ms,
    lake_rows,
    run_measured,
    simulator,
)

FIRST, LAST = date(2025, 1, 1), date(2025, 1, 31)


def child(asset: str) -> None:
    """In the measured process: materialize ``asset`` over the window; print one JSON line."""
    from dagster import AssetKey, DagsterInstance, materialize
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from dixa_assets.definitions import defs

    assets_def = defs.resolve_assets_def(AssetKey(asset))
    tags = {ASSET_PARTITION_RANGE_START_TAG: str(FIRST), ASSET_PARTITION_RANGE_END_TAG: str(LAST)}
    started = time.perf_counter()
    materialize([assets_def], instance=DagsterInstance.ephemeral(), tags=tags)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 3)}), flush=True)


def measure(per_day: int, scratch: Path) -> dict[str, dict[str, float]]:
    size = SimulatorSize(per_day, 10.0, FIRST - timedelta(days=7), LAST, LAST + timedelta(1))
    figures = {}
    with simulator(size, scratch / f"sim-{per_day}.log") as url:
        for endpoint in ("conversations", "messages"):  # build the data before timing
            params = {"start_ms": day_ms(size.history_start), "end_ms": day_ms(size.now)}
            httpx.get(f"{url}/_sim/truth/{endpoint}", params=params, timeout=1800)
        for asset in ASSETS:
            setup = dagster_setup(scratch, url, FIRST - timedelta(days=7), 0)
            command = [sys.executable, __file__, "--child", asset]
            run = run_measured(command, setup.env, scratch / f"{asset}-{per_day}")
            rows = lake_rows(setup.data_dir, asset)
            seconds = float(run.result["seconds"])
            figures[asset] = {
                "records": rows,
                "seconds": seconds,
                "records_per_s": round(rows / seconds),
                "peak_rss_mb": run.peak_rss_mb,
            }
            print(per_day, asset, figures[asset], flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--small", type=int, default=1000, help="conversations a day")
    parser.add_argument("--ratio", type=int, default=4, help="the large size is this times more")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = (args.small, args.small * args.ratio)
    results: dict[str, object] = {"load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(dir=WORK, prefix="window-memory-") as tmp:
        by_size = {per_day: measure(per_day, Path(tmp)) for per_day in sizes}
    results["load_average_at_end"] = os.getloadavg()
    print(json.dumps(results))
    row = "| {:<18} | {:>16} | {:>9} | {:>9} | {:>10} | {:>8} |"
    print(row.format("asset", "conversations/day", "records", "seconds", "records/s", "peak MiB"))
    print(row.format(*("-" * n for n in (18, 16, 9, 9, 10, 8))))
    for per_day, figures in by_size.items():
        for asset, f in figures.items():
            print(
                row.format(asset, per_day, f["records"], f["seconds"],
                           f"{f['records_per_s']:,}", f"{f['peak_rss_mb']:,.0f}")
            )  # fmt: skip
    small, large = (by_size[n] for n in sizes)
    for asset in ASSETS:
        ratio = large[asset]["peak_rss_mb"] / small[asset]["peak_rss_mb"]
        print(f"{asset}: peak RSS {args.ratio}x the records / peak RSS 1x: {ratio:.2f}")


if __name__ == "__main__":
    main()
