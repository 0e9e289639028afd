"""The daily partitions shared by every Dixa asset, in the configured timezone."""

from __future__ import annotations

from dagster import DailyPartitionsDefinition

from .settings import Settings


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    """Days from ``DIXA_START_DATE`` up to the last complete day in ``DIXA_TIMEZONE``."""
    return DailyPartitionsDefinition(start_date=settings.start_date, timezone=settings.timezone)
