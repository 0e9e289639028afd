"""What the erasure tests share: a small organisation of their own (its anonymizations must not
reach other tests), a scenario builder, and ways to look for personal data everywhere we store it:
decoded Parquet values, the Parquet and DuckDB files' raw bytes, and every DuckDB string cell."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, DagsterInstance, evaluate_automation_conditions

from dixa_assets.definitions import build_definitions
from dixa_assets.settings import Settings
from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets_tests.conftest import TOKEN, day_ms, make_settings, run_assets

START = "2025-03-01"
LAST = "2025-03-07"  # the day the end users are anonymized
RAW = ("dixa_conversations", "dixa_messages")
MODELLED = ("conversations", "conversation_messages", "daily_support_metrics")
ERASURES = "dixa_erasures"


def small_organisation() -> Organisation:
    return Organisation(
        seed=11,
        conversations_per_day=16,
        messages_per_conversation=3.0,
        history_start=date.fromisoformat(START),
        max_update_lag_days=2,
        now_ms=day_ms("2025-03-08")[0],
    )


@contextmanager
def erasure_world(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[tuple[Organisation, SimulatorServer, DagsterInstance, Settings]]:
    """A small organisation on a simulator of its own, its clock at the start of LAST, a
    Dagster instance and settings over a fresh folder; DIXA_API_TOKEN set meanwhile."""
    org = small_organisation()
    monkey = pytest.MonkeyPatch()
    monkey.setenv("DIXA_API_TOKEN", TOKEN)
    try:
        with SimulatorServer(org, token=TOKEN) as server, DagsterInstance.ephemeral() as instance:
            settings = make_settings(tmp_path_factory.mktemp(name), server)
            org.set_now(day_ms(LAST)[0])
            yield org, server, instance, settings
    finally:
        monkey.undo()


def requested(settings: Settings, instance: DagsterInstance, cursor: Any = None):
    """One evaluation of the declarative automation: (requested partitions by asset, cursor)."""
    result = evaluate_automation_conditions(
        defs=build_definitions(settings), instance=instance, cursor=cursor
    )
    names = (*MODELLED, ERASURES)
    wanted = {
        name: sorted(str(p) for p in result.get_requested_partitions(AssetKey(name)))
        for name in names
        if result.get_num_requested(AssetKey(name))
    }
    return wanted, result.cursor


def follow(settings: Settings, instance: DagsterInstance, cursor: Any = None, rounds: int = 6):
    """Run what the automation asks for until it asks for nothing; every request, in order."""
    seen = []
    for _ in range(rounds):
        wanted, cursor = requested(settings, instance, cursor)
        if not wanted:
            break
        seen.append(wanted)
        single = [name for name in wanted if wanted[name] == ["None"]]
        if single:
            assert run_assets(settings, single, None, instance=instance).success
        daily = [name for name in wanted if name not in single]
        if daily:
            days = sorted({day for name in daily for day in wanted[name]})
            assert run_assets(settings, daily, days[0], days[-1], instance=instance).success
    return seen, cursor


def lake_files(settings: Settings) -> list[Path]:
    return sorted(Path(settings.data_dir).glob("dixa_*/*.parquet"))


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


def parquet_values(settings: Settings) -> set[str]:
    """Every decoded string value (nested ones too) of every raw Parquet file."""
    found: set[str] = set()
    for path in lake_files(settings):
        for row in pq.read_table(path).to_pylist():
            found.update(strings_in(list(row.values())))
    return found


def duckdb_values(settings: Settings) -> set[str]:
    """Every string cell (nested ones too) of every table in the DuckDB file."""
    found: set[str] = set()
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        for schema, table in tables:
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                found.update(strings_in(list(row)))
    return found


def files_containing(paths: Iterable[Path], needles: Iterable[str]) -> dict[str, list[str]]:
    """Which needles occur in which file's raw bytes."""
    encoded = [(needle, needle.encode()) for needle in needles]
    hits = {}
    for path in paths:
        data = path.read_bytes()
        found = [needle for needle, raw in encoded if raw in data]
        if found:
            hits[str(path)] = found
    return hits


def stored_files(settings: Settings) -> list[Path]:
    """Every file we store: the lake's day files (hidden temporary ones too) and the database
    with anything beside it."""
    data = Path(settings.data_dir)
    return sorted(p for p in data.rglob("*") if p.is_file())


def land(settings: Settings, instance: DagsterInstance, first: str, last: str) -> None:
    assert run_assets(settings, RAW, first, last, instance=instance).success
