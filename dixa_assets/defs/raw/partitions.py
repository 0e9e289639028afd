"""The daily partitions shared by every Dixa asset, in the configured timezone."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import DailyPartitionsDefinition, PartitionsDefinition

from dixa_assets.exports_api import Window
from dixa_assets.settings import Settings


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    """Days from ``DIXA_START_DATE`` up to today in ``DIXA_TIMEZONE``.

    Today is a partition too (``end_offset=1``): its window is only partly past, so a run of it
    fetches what exists so far and the refresh schedule replaces it as the day grows; once the
    day is over it is fetched again as a complete day.
    """
    return DailyPartitionsDefinition(
        start_date=settings.start_date, timezone=settings.timezone, end_offset=1
    )


def partition_windows(partitions_def: PartitionsDefinition, keys: Sequence[str]) -> list[Window]:
    """The half-open window of each daily partition key, in epoch ms."""
    return [Window.between(*partitions_def.time_window_for_partition_key(k)) for k in keys]
