"""One window of the activity log, fetched and turned into one Arrow table (Dagster-free, so the
benchmark runs the assets' exact path).

Pages are converted as they arrive; a range longer than one request window goes to a
memory-mapped file (:mod:`.spill`), so a year's backfill does not have to fit in memory. An id
that comes twice (an entry moving between two pages while they are fetched) is kept once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from dixa_assets.arrow.activity_records import Drift, entries_to_table
from dixa_assets.arrow.activity_schema import ARROW_SCHEMA, PARTITION_COLUMN
from dixa_assets.arrow.duplicates import latest_per_id
from dixa_assets.arrow.schemas import empty_table
from dixa_assets.arrow.spill import spill
from dixa_assets.exports_api import Window
from dixa_assets.main_api import MainApiClient


@dataclass(frozen=True)
class IngestedActivity:
    table: pa.Table
    drift: Drift
    duplicates_dropped: int


def ingest_activity(
    client: MainApiClient, window: Window, where: str, window_days: int = 31
) -> IngestedActivity:
    drift = Drift()

    def tables() -> Iterator[pa.Table]:
        yield empty_table(ARROW_SCHEMA)
        for page in client.activity_log(window):
            table, seen = entries_to_table(page, where)
            drift.unknown_types.update(seen.unknown_types)
            drift.unknown_attributes.update(seen.unknown_attributes)
            drift.unknown_fields.update(seen.unknown_fields)
            yield table

    long = len(window.split(window_days)) > 1
    whole = spill(tables(), ARROW_SCHEMA) if long else pa.concat_tables(tables())
    table, duplicates = latest_per_id(whole, "id", PARTITION_COLUMN)
    return IngestedActivity(table, drift, duplicates)
