"""The activity log's ingest: records per second, and requests per day at the main API's limit.

Starts the simulator in process (seed 7, one creation day, 2025-03-03, of `--conversations`
conversations), then fetches the activity entries of 2025-03-03 with the path the
`dixa_activity_log` asset runs (`ingest_activity`: client, pages, typed Arrow table, one id
each) and writes the day as zstd Parquet:

1. unpaced, with the simulator's rate limit off: our throughput (the simulator's own serving,
   the loopback transfer, JSON decoding and typing, Parquet), in records per second;
2. paced at the real limit (10 requests a second, the simulator enforcing 10/s with bursts of
   4): the requests a day costs and how long they take, and whether any 429 came back.

    python benchmarks/activity_log.py                    # 20,000 conversations (~0.4M entries)
    python benchmarks/activity_log.py --conversations 2000 --page-limit 100   # quick
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date

import pyarrow.parquet as pq

from dixa_assets.exports_api import Window
from dixa_assets.ingest.activity import ingest_activity
from dixa_assets.main_api import MainApiClient
from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets.simulator.utc import DAY_MS, day_start_ms

TOKEN = "bench-token"
DAY = date(2025, 3, 3)


def _run(server: SimulatorServer, page_limit: int, paced: bool) -> dict[str, float | int]:
    start = day_start_ms(DAY)
    window = Window(start, start + DAY_MS)
    server.reset_log()
    rate = 10.0 if paced else None
    server.main_api.options.requests_per_second = rate
    started = time.perf_counter()
    with MainApiClient(TOKEN, server.url + "/v1", requests_per_second=rate,
                       page_limit=page_limit) as client:  # fmt: skip
        ingested = ingest_activity(client, window, "benchmark")
        with tempfile.TemporaryDirectory() as folder:
            pq.write_table(ingested.table, f"{folder}/day.parquet", compression="zstd")
        seconds = time.perf_counter() - started
        statuses = [entry.status for entry in server.request_log]
        return {
            "records": ingested.table.num_rows,
            "seconds": round(seconds, 2),
            "records_per_second": round(ingested.table.num_rows / seconds),
            "requests": client.metrics.requests,
            "responses_429": statuses.count(429),
            "response_mib": round(client.metrics.bytes / 2**20, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--page-limit", type=int, default=1000)
    args = parser.parse_args()
    organisation = Organisation(
        seed=7, conversations_per_day=args.conversations, history_start=DAY, history_end=DAY,
        now_ms=day_start_ms(DAY) + 30 * DAY_MS,
    )  # fmt: skip
    with SimulatorServer(organisation, token=TOKEN) as server:
        server.main_api.options.max_page_limit = args.page_limit
        # Generate the day (and its activity log) once, outside the clock.
        server.main_api.truth_activity(day_start_ms(DAY), day_start_ms(DAY) + DAY_MS)
        unpaced = _run(server, args.page_limit, paced=False)
        paced = _run(server, args.page_limit, paced=True)
    print(json.dumps({"conversations": args.conversations, "page_limit": args.page_limit,
                      "unpaced": unpaced, "paced_10_per_second": paced}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
