"""Helpers for the modelled layer's tests: read DuckDB, and play the automation daemon's part."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from dagster import (
    AssetKey,
    DagsterInstance,
    ExecuteInProcessResult,
    SensorResult,
    SkipReason,
    build_sensor_context,
    evaluate_automation_conditions,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_duckdb import DuckDBResource

from dixa_assets.definitions import build_definitions
from dixa_assets.defs.modelled.late_updates import LATE_UPDATES_SENSOR
from dixa_assets.settings import Settings
from dixa_assets_tests.conftest import run_assets

MODELLED = ("conversations", "conversation_messages", "daily_support_metrics")
RAW = ("dixa_conversations", "dixa_messages")


def query(settings: Settings, sql: str, params: Mapping[str, Any] | None = None) -> list[dict]:
    """Rows of ``sql`` against the project's DuckDB file, as dicts."""
    with duckdb.connect(settings.duckdb_path) as con:
        result = con.execute(sql, params or {})
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@dataclass
class Followed:
    """What the automation requested, round by round, the runs that did it, and its cursor."""

    rounds: list[dict[str, list[str]]] = field(default_factory=list)
    runs: list[ExecuteInProcessResult] = field(default_factory=list)
    cursor: Any = None


def follow_automation(
    settings: Settings, instance: DagsterInstance, cursor: Any = None, max_rounds: int = 10
) -> Followed:
    """Evaluate the declarative automation and run what it requests, until it requests nothing
    (or for ``max_rounds`` rounds).

    Stands in for the daemon: the unpartitioned request runs first, the daily ones as one range
    run (what a backfill under a single-run policy does).
    """
    defs = build_definitions(settings)
    followed = Followed()
    while len(followed.rounds) < max_rounds:
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = followed.cursor = result.cursor
        requested = {
            name: sorted(str(p) for p in result.get_requested_partitions(AssetKey(name)))
            for name in MODELLED
            if result.get_num_requested(AssetKey(name))
        }
        if not requested:
            return followed
        followed.rounds.append(requested)
        if "conversations" in requested:
            followed.runs.append(run_assets(settings, ["conversations"], None, instance=instance))
        daily = [name for name in requested if name != "conversations"]
        if daily:
            days = sorted({day for name in daily for day in requested[name]})
            followed.runs.append(run_assets(settings, daily, days[0], days[-1], instance=instance))
    return followed


def evaluate_late_updates(
    settings: Settings, instance: DagsterInstance, cursor: str | None = None
) -> SensorResult | SkipReason:
    """One tick of the late-updates sensor."""
    sensor = build_definitions(settings).resolve_sensor_def(LATE_UPDATES_SENSOR)
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"duckdb": DuckDBResource(database=settings.duckdb_path)},
    )
    return sensor(context)


def run_requested(
    settings: Settings, instance: DagsterInstance, requests: Sequence
) -> list[tuple[str, str]]:
    """Execute a sensor's range run requests; returns their (first, last) days."""
    ranges = []
    for request in requests:
        first = request.tags[ASSET_PARTITION_RANGE_START_TAG]
        last = request.tags[ASSET_PARTITION_RANGE_END_TAG]
        selection = [key.to_user_string() for key in request.asset_selection]
        run_assets(settings, selection, first, last, instance=instance)
        ranges.append((first, last))
    return ranges
