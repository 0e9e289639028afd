"""The modelled layer: DuckDB tables built from the Parquet lake, the automation that keeps them
current, and the ``duckdb`` resource over ``DIXA_DUCKDB_PATH``."""

from __future__ import annotations

from dagster import Definitions, TimeWindowPartitionsDefinition
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.code_references import with_code_references
from dixa_assets.defs.modelled.activity_assets import build_activity_modelled_assets
from dixa_assets.defs.modelled.assets import build_modelled_assets
from dixa_assets.defs.modelled.automation import automation_sensor
from dixa_assets.defs.modelled.late_updates import build_late_updates_sensor
from dixa_assets.settings import Settings


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> Definitions:
    """Modelled assets, the declarative automation and late-updates sensors, ``duckdb``."""
    return Definitions(
        assets=with_code_references(
            [
                *build_modelled_assets(settings, partitions_def),
                *build_activity_modelled_assets(settings, partitions_def),
            ]
        ),
        sensors=[automation_sensor(), build_late_updates_sensor(partitions_def)],
        resources={"duckdb": DuckDBResource(database=settings.duckdb_path)},
    )
