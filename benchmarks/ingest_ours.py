"""Our ingest of one partition of one raw asset, in process, without the CLI's start-up.

``run_benchmarks.py`` runs this in its own process (so that process's peak RSS is this ingest's
alone) with the same ``DIXA_*`` environment as the ``dagster asset materialize`` run. It executes
the asset exactly as a run does (the project's definitions, resource, ``records_to_table`` and
Parquet IO manager, through ``dagster.materialize`` on an ephemeral instance), so whatever the
ingest path becomes, this measures it; only the CLI's start-up and the asset's checks are left
out. The clock runs around ``materialize`` alone: imports, loading the definitions and making the
instance are excluded.

Prints one JSON line: ``{"asset", "seconds", "rss_before_mb", "metadata"}``, where
``rss_before_mb`` is the resident size after the imports (Python, Dagster, the definitions), so
a reader can tell the data's share of the peak from the interpreter's. Rows are counted by the
caller from the Parquet files written, not taken from the run's metadata.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

from dagster import AssetKey, DagsterInstance, materialize


def _rss_mb() -> float:
    """This process's peak resident size so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a Dagster metadata value (its raw ``value`` where it has one)."""
    raw = getattr(value, "value", value)
    return raw if isinstance(raw, int | float | str | bool | type(None)) else str(raw)


def main(argv: list[str] | None = None) -> int:
    """Materialize one partition of one asset; print the result line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asset", required=True, help="dixa_conversations or dixa_messages")
    parser.add_argument("--partition", required=True, help="daily partition key, yyyy-mm-dd")
    args = parser.parse_args(argv)

    from dixa_assets.definitions import defs  # reads the DIXA_* environment, like a run

    # Resolved from the definitions, the asset comes with the resources they bind.
    assets_def = defs.resolve_assets_def(AssetKey(args.asset))
    # Made before the clock starts: the first one imports Dagster's storage (0.4 s), which a
    # real run's process has done before any asset runs.
    instance = DagsterInstance.ephemeral()
    rss_before = _rss_mb()
    started = time.perf_counter()
    result = materialize([assets_def], partition_key=args.partition, instance=instance)
    seconds = time.perf_counter() - started
    (event,) = result.asset_materializations_for_node(assets_def.node_def.name)
    metadata = {key: _plain(value) for key, value in event.metadata.items()}
    line = {
        "asset": args.asset,
        "seconds": round(seconds, 3),
        "rss_before_mb": rss_before,
        "metadata": {
            key: metadata.get(key)
            for key in ("run_requests", "run_response_bytes", "run_request_seconds")
        },
    }
    print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
