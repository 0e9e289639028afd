"""Rewrite an existing lake in place so every file is as the current version writes it.

``python -m dixa_assets.lake_rewrite`` (``--dry-run`` to only list) goes through every day of
every raw asset under ``DIXA_DATA_DIR`` (or ``--data-dir``) and rewrites, through
:meth:`ParquetLake.write` and so atomically, each file that is not yet in its declared schema:
files written by earlier versions (with pandas metadata that ``pd.read_parquet`` cannot read, no
column descriptions), and days written before the schema changed. Files already current are not
touched, so it can be run again at any time. Run it while no Dagster run writes the lake: a day
rewritten here replaces whatever was written since it was read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import pyarrow.parquet as pq

from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.schema import DECLARED, is_conformed
from dixa_assets.settings import DEFAULT_DATA_DIR


def rewrite_lake(lake: ParquetLake, dry_run: bool = False) -> dict[str, list[str]]:
    """The days of each asset that were (or, with ``dry_run``, would be) rewritten."""
    rewritten: dict[str, list[str]] = {}
    for asset in DECLARED:
        for partition in lake.partitions(asset):
            path = lake.path(asset, partition)
            if is_conformed(pq.read_schema(path.path, filesystem=path.fs), asset):
                continue
            if not dry_run:
                lake.write(asset, partition, lake.read(asset, [partition]))
            rewritten.setdefault(asset, []).append(partition)
    return rewritten


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dixa_assets.lake_rewrite",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("DIXA_DATA_DIR") or DEFAULT_DATA_DIR,
        help="root of the lake (default: DIXA_DATA_DIR, else %(default)s)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the days, rewrite nothing")
    args = parser.parse_args(argv)
    lake = ParquetLake(args.data_dir)
    rewritten = rewrite_lake(lake, dry_run=args.dry_run)
    verb = "to rewrite" if args.dry_run else "rewritten"
    for asset in DECLARED:
        days = rewritten.get(asset, [])
        print(f"{asset}: {len(days)} of {len(lake.partitions(asset))} day(s) {verb}")
        for day in days:
            print(f"  {day}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
