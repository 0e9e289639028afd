"""The modelled layer's part of the code location, merged into ``dixa_assets.definitions``."""

from __future__ import annotations

from dagster import Definitions, TimeWindowPartitionsDefinition
from dagster_duckdb import DuckDBResource

from ..code_references import with_code_references
from ..settings import Settings
from .activity_assets import build_activity_modelled_assets
from .assets import build_modelled_assets
from .automation import automation_sensor
from .checks import build_raw_checks
from .erasures import build_erasures_asset
from .late_updates import build_late_updates_sensor


def build_modelled_definitions(
    settings: Settings, partitions_def: TimeWindowPartitionsDefinition
) -> Definitions:
    """Modelled assets, raw-file checks, the automation that keeps them current, and the
    ``duckdb`` resource over ``DIXA_DUCKDB_PATH``."""
    return Definitions(
        assets=with_code_references(
            [
                *build_modelled_assets(settings, partitions_def),
                build_erasures_asset(settings),
                *build_activity_modelled_assets(settings, partitions_def),
            ]
        ),
        asset_checks=build_raw_checks(settings, partitions_def),
        sensors=[automation_sensor(), build_late_updates_sensor(partitions_def)],
        resources={"duckdb": DuckDBResource(database=settings.duckdb_path)},
    )
