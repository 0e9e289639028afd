"""The modelled layer: DuckDB tables built from the Parquet lake, the automation that keeps them
current, and the ``duckdb`` resource over ``DIXA_DUCKDB_PATH``."""

from __future__ import annotations

from dagster import Definitions, TimeWindowPartitionsDefinition
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.code_references import with_code_references
from dixa_assets.defs.modelled import (
    conversation_events,
    conversation_handling,
    conversation_messages,
    conversations,
    daily_support_metrics,
    daily_team_metrics,
)
from dixa_assets.defs.modelled.automation import automation_sensor
from dixa_assets.defs.modelled.late_updates import build_late_updates_sensor
from dixa_assets.settings import Settings

# One module per table: its asset, checks and automation condition (its SQL: dixa_assets.warehouse).
TABLES = (
    conversations,
    conversation_messages,
    daily_support_metrics,
    conversation_events,
    conversation_handling,
    daily_team_metrics,
)


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> Definitions:
    """Modelled assets, the declarative automation and late-updates sensors, ``duckdb``."""
    return Definitions(
        assets=with_code_references([table.build(settings, partitions_def) for table in TABLES]),
        sensors=[automation_sensor(), build_late_updates_sensor(partitions_def)],
        resources={"duckdb": DuckDBResource(database=settings.duckdb_path)},
    )
