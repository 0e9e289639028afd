"""How long ``dixa_erasures`` takes on a lake of real size: a first erasure after end users were
anonymized, and a run with nothing left to erase (what most automation-triggered runs are).

    python benchmarks/erasure_timing.py --days 90 --conversations-per-day 1000

Lands ``--days`` raw days from the simulator (one range run), builds ``dixa.conversations`` and
``dixa.conversation_messages``, anonymizes ``--users`` end users (updated_at moving), lands the
next day, then times :func:`dixa_assets.erasure.procedure.erase` twice. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter

from dagster import DagsterInstance, materialize

from dixa_assets.definitions import build_definitions
from dixa_assets.defs.raw.exports_resource import DixaExportsResource
from dixa_assets.erasure.procedure import erase
from dixa_assets.exports_api import to_epoch_ms
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.settings import Settings
from dixa_assets.simulator import Organisation, SimulatorServer

TOKEN = "benchmark-token"


def midnight(day: date) -> int:
    return to_epoch_ms(datetime.combine(day, time(), UTC))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--conversations-per-day", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    start = date(2025, 1, 1)
    last = start + timedelta(days=args.days - 1)
    org = Organisation(
        seed=5, conversations_per_day=args.conversations_per_day, history_start=start,
        now_ms=midnight(last + timedelta(days=1)),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, SimulatorServer(org, token=TOKEN) as server:
        data = Path(tmp) / "data"
        settings = Settings(
            start.isoformat(), "UTC", str(data), str(data / "warehouse.duckdb"), server.url, 0
        )
        defs = build_definitions(settings)
        resources = {
            **(defs.resources or {}),
            "dixa": DixaExportsResource(
                api_token=TOKEN, base_url=server.url, requests_per_minute=0
            ),
        }
        assets = list(defs.assets or [])

        def run(selection: list[str], first: str | None, end: str | None = None) -> None:
            tags = {}
            if first and end:
                tags = {"dagster/asset_partition_range_start": first,
                        "dagster/asset_partition_range_end": end}  # fmt: skip
            with DagsterInstance.ephemeral() as instance:
                materialize(
                    assets, selection=selection, resources=resources, instance=instance,
                    tags=tags, partition_key=None if end else first,
                )  # fmt: skip

        run(["dixa_conversations", "dixa_messages"], start.isoformat(), last.isoformat())
        run(["conversations"], None)
        run(["conversation_messages"], start.isoformat(), last.isoformat())
        stored = org.conversations_created(midnight(start), midnight(last))
        users = sorted({c["requester_id"] for c in stored})[: args.users]
        for user in users:
            org.anonymizations.add(user, midnight(last + timedelta(days=1)))
        org.set_now(midnight(last + timedelta(days=2)))
        following = (last + timedelta(days=1)).isoformat()
        run(["dixa_conversations", "dixa_messages"], following)
        lake = ParquetLake(settings.data_dir)
        began = perf_counter()
        first = erase(lake, settings.duckdb_path, "benchmark-1")
        first_s = perf_counter() - began
        began = perf_counter()
        second = erase(lake, settings.duckdb_path, "benchmark-2")
        second_s = perf_counter() - began
        print(
            json.dumps(
                {
                    "days": args.days + 1,
                    "conversation_versions": sum(
                        lake.read("dixa_conversations", [k]).num_rows
                        for k in lake.partitions("dixa_conversations")
                    ),
                    "messages": sum(
                        lake.read("dixa_messages", [k]).num_rows
                        for k in lake.partitions("dixa_messages")
                    ),
                    "anonymized_conversations": first.anonymized_conversations,
                    "first_erasure_seconds": round(first_s, 2),
                    "first_conversations_erased": len(first.erased_conversations),
                    "first_raw_files_rewritten": sum(map(len, first.raw_files_rewritten.values())),
                    "first_rows_changed": first.rows_changed,
                    "nothing_left_seconds": round(second_s, 2),
                    "second_rows_changed": sum(second.rows_changed.values()),
                    "database_mb": round(Path(settings.duckdb_path).stat().st_size / 2**20, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
