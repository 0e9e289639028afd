"""``daily_team_metrics``: per day of creation, team at handling time and queue.

A new daily table rather than new rows or columns in ``daily_support_metrics``: a team breakdown
changes the grain (day x channel x queue there), and adding rows or columns would change what
existing queries over that table sum to.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionsDefinition,
)
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.automation import follow_same_day
from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.defs.modelled.keys import CONVERSATIONS_KEY, HANDLING_KEY, TEAM_METRICS_KEY
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.table_asset import table_asset
from dixa_assets.settings import Settings
from dixa_assets.warehouse.daily_team_metrics import (
    DAILY_TEAM_METRICS,
    TEAM_METRIC_DEFINITIONS,
    TEAM_METRICS_ADD_UP,
)
from dixa_assets.warehouse.tables import DAILY_TEAM_METRICS_TABLE
from dixa_assets.warehouse.writes import replace_days, run_days, transaction


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> AssetsDefinition:
    tz = partitions_def.timezone

    @table_asset(
        TEAM_METRICS_KEY,
        DAILY_TEAM_METRICS_TABLE,
        settings.duckdb_path,
        partitions_def=partitions_def,
        deps=[HANDLING_KEY, CONVERSATIONS_KEY],
        description="Per day of creation, team at handling time and queue: conversations, new "
        "contacts (link-aware), transfer and reopen rates, queue wait, as DuckDB table "
        "dixa.daily_team_metrics. Definitions are in the column descriptions.",
        automation_condition=follow_same_day(),
        checks={
            "conversations_add_up": "Per day, conversations_created over all teams and queues "
            "equals the day's conversations."
        },
    )
    def daily_team_metrics(
        context: AssetExecutionContext, duckdb: DuckDBResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        days = run_days(context.partition_keys)
        params = {"tz": tz, **days}
        with locked_connection(duckdb) as con:
            with transaction(con):
                replaced = replace_days(con, DAILY_TEAM_METRICS_TABLE, DAILY_TEAM_METRICS,
                                        params, days, TEAM_METRIC_DEFINITIONS)  # fmt: skip
            mismatches = con.execute(TEAM_METRICS_ADD_UP, params).fetchall()
            described = describe_table(
                con, DAILY_TEAM_METRICS_TABLE, ("day", "team_name", "conversations_created"), days
            )
        yield MaterializeResult(metadata={"replaced_rows": replaced, **described})
        yield AssetCheckResult(
            check_name="conversations_add_up",
            passed=not mismatches,
            metadata={"mismatches": MetadataValue.json([list(m) for m in mismatches])},
        )

    return daily_team_metrics
