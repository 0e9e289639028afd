"""Rewrite an existing lake in place so every file is as the current version writes it.

Goes through every day of every raw asset under a lake's root and rewrites, through
:meth:`ParquetLake.write` and so atomically, each file that is not yet in its declared schema:
files written by earlier versions (with pandas metadata that ``pd.read_parquet`` cannot read, no
column descriptions), and days written before the schema changed. Files already current are not
touched, so it can be run again at any time. Run it while no Dagster run writes the lake: a day
rewritten here replaces whatever was written since it was read. The users' command is
``python -m dixa_assets.lake_rewrite`` (:mod:`dixa_assets.lake_rewrite`).
"""

from __future__ import annotations

import os

import pyarrow.parquet as pq

from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.schema import DECLARED, is_conformed


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


def rewrite_lake_at(root: str | os.PathLike[str], dry_run: bool = False) -> list[str]:
    """Rewrite the lake at ``root`` (a folder or a URL); returns the report, a line each:
    per asset how many of its days were (or would be) rewritten, then those days."""
    lake = ParquetLake(root)
    rewritten = rewrite_lake(lake, dry_run=dry_run)
    verb = "to rewrite" if dry_run else "rewritten"
    lines = []
    for asset in DECLARED:
        days = rewritten.get(asset, [])
        lines.append(f"{asset}: {len(days)} of {len(lake.partitions(asset))} day(s) {verb}")
        lines.extend(f"  {day}" for day in days)
    return lines
