"""Deployment settings read from the environment, with their documented defaults.

These shape the definitions themselves (the partitions' first day and timezone, where the lake
lives), so they are read when the code location loads; the API token is not read here but by
the resource at run time, so that definitions load and validate without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster._utils.schedules import is_valid_cron_string

from dixa_assets.exports_api import DEFAULT_BASE_URL
from dixa_assets.main_api import DEFAULT_BASE_URL as DEFAULT_MAIN_API_BASE_URL

DEFAULT_START_DATE = "2025-01-01"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DATA_DIR = "./data"
DEFAULT_REQUESTS_PER_MINUTE = 10.0
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_REFRESH_MINUTES = 60
DEFAULT_RECONCILIATION_CRON = "0 3 * * 0"  # Sundays 03:00 in DIXA_TIMEZONE


def data_dir_from_env() -> str:
    """Where the lake lives: ``DIXA_DATA_DIR``, else the default."""
    return os.environ.get("DIXA_DATA_DIR") or DEFAULT_DATA_DIR


@dataclass(frozen=True)
class Settings:
    start_date: str
    timezone: str
    data_dir: str
    duckdb_path: str
    api_base_url: str = DEFAULT_BASE_URL
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE
    # Recent days the daily schedule re-fetches, so late conversation updates are captured.
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    # How often today's partial day (with the lookback days) is re-fetched; 0 = no refresh.
    refresh_minutes: int = DEFAULT_REFRESH_MINUTES
    # When the reconciliation re-reads every stored conversation (its schedule is off by default).
    reconciliation_cron: str = DEFAULT_RECONCILIATION_CRON
    # Dixa's main API (activity log, agents, teams, queues, tags); same token as the exports.
    main_api_base_url: str = DEFAULT_MAIN_API_BASE_URL

    @classmethod
    def from_env(cls) -> Settings:
        start_date = os.environ.get("DIXA_START_DATE") or DEFAULT_START_DATE
        timezone = os.environ.get("DIXA_TIMEZONE") or DEFAULT_TIMEZONE
        data_dir = data_dir_from_env()
        # Beside an object-store lake, the database file stays local.
        local_dir = "." if "://" in data_dir else data_dir
        duckdb_path = os.environ.get("DIXA_DUCKDB_PATH") or str(
            Path(local_dir) / "warehouse.duckdb"
        )
        try:
            date.fromisoformat(start_date)
        except ValueError:
            raise ValueError(f"DIXA_START_DATE must be yyyy-mm-dd, got {start_date!r}") from None
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DIXA_TIMEZONE must be an IANA name, got {timezone!r}") from None
        base_url = os.environ.get("DIXA_API_BASE_URL") or DEFAULT_BASE_URL
        pace = os.environ.get("DIXA_REQUESTS_PER_MINUTE") or str(DEFAULT_REQUESTS_PER_MINUTE)
        try:
            requests_per_minute = float(pace)
        except ValueError:
            raise ValueError(f"DIXA_REQUESTS_PER_MINUTE must be a number, got {pace!r}") from None
        lookback = os.environ.get("DIXA_LOOKBACK_DAYS") or str(DEFAULT_LOOKBACK_DAYS)
        if not lookback.isdigit() or int(lookback) < 1:
            raise ValueError(f"DIXA_LOOKBACK_DAYS must be a whole number >= 1, got {lookback!r}")
        refresh = os.environ.get("DIXA_REFRESH_MINUTES") or str(DEFAULT_REFRESH_MINUTES)
        if not refresh.isdigit() or not refresh_interval_is_valid(int(refresh)):
            raise ValueError(
                "DIXA_REFRESH_MINUTES must be 0 (off) or a whole number of minutes that divides "
                f"an hour (1-60) or a day (a multiple of 60 up to 1440), got {refresh!r}"
            )
        cron = os.environ.get("DIXA_RECONCILIATION_CRON") or DEFAULT_RECONCILIATION_CRON
        if not is_valid_cron_string(cron):
            raise ValueError(f"DIXA_RECONCILIATION_CRON must be a cron expression, got {cron!r}")
        return cls(
            start_date,
            timezone,
            data_dir,
            duckdb_path,
            base_url,
            requests_per_minute,
            lookback_days=int(lookback),
            refresh_minutes=int(refresh),
            reconciliation_cron=cron,
            main_api_base_url=os.environ.get("DIXA_MAIN_API_BASE_URL") or DEFAULT_MAIN_API_BASE_URL,
        )


def refresh_interval_is_valid(minutes: int) -> bool:
    """Intervals a cron schedule can tick at evenly: 0 (off), divisors of an hour or a day."""
    if minutes == 0:
        return True
    if minutes <= 60:
        return 60 % minutes == 0
    return minutes % 60 == 0 and 1440 % minutes == 0
