"""``conversation_handling``: per conversation, what its activity log says about its handling.

Rebuilt whole from ``conversation_events`` and the dimension histories, like ``conversations``.
"""

from dagster import AssetKey, AssetsDefinition, MaterializeResult, TimeWindowPartitionsDefinition
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.automation import rebuild_after_raw_changes
from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.defs.modelled.keys import EVENTS_KEY, HANDLING_KEY
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.table_asset import table_asset
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.settings import Settings
from dixa_assets.warehouse.conversation_handling import CONVERSATION_HANDLING, HANDLING_DEFINITIONS
from dixa_assets.warehouse.dimension_history import register_history
from dixa_assets.warehouse.tables import CONVERSATION_HANDLING_TABLE
from dixa_assets.warehouse.writes import comment_columns, transaction


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> AssetsDefinition:
    del partitions_def  # rebuilt whole: not partitioned

    @table_asset(
        HANDLING_KEY,
        CONVERSATION_HANDLING_TABLE,
        settings.duckdb_path,
        deps=[EVENTS_KEY, AssetKey("dixa_teams"), AssetKey("dixa_queues")],
        description="Per conversation, from its activity log: transfers, reopens, queues "
        "visited with the wait in each, the first human agent reply (agent id), the handling "
        "agent and the team that agent was in at the time (dixa_teams history), as DuckDB table "
        "dixa.conversation_handling. Definitions are in the column descriptions.",
        automation_condition=rebuild_after_raw_changes(),
    )
    def conversation_handling(
        duckdb: DuckDBResource, parquet_lake: ParquetLakeResource
    ) -> MaterializeResult:
        with locked_connection(duckdb) as con:
            register_history(con, parquet_lake.get_lake())
            with transaction(con):
                con.execute(CONVERSATION_HANDLING)
                comment_columns(con, CONVERSATION_HANDLING_TABLE, HANDLING_DEFINITIONS)
            rows, teams = con.execute(
                f"SELECT count(*), count(team_id) FROM {CONVERSATION_HANDLING_TABLE}"
            ).fetchall()[0]
            described = describe_table(
                con, CONVERSATION_HANDLING_TABLE, ("conversation_id", "transfers", "reopens")
            )
        return MaterializeResult(
            metadata={"dagster/row_count": rows, "with_team": teams, **described}
        )

    return conversation_handling
