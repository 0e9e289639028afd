"""``conversation_events``: the activity log typed and joined to its conversation.

Rebuilt whole from the lake, like ``conversations``: a conversation's figures need all of its
entries, which span days, and a rebuild is an exact function of the stored files with no merge
logic to get wrong.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionsDefinition,
)
from dagster_duckdb import DuckDBResource
from duckdb import DuckDBPyConnection

from dixa_assets.arrow.activity_schema import ARROW_SCHEMA as ACTIVITY_SCHEMA
from dixa_assets.arrow.schemas import descriptions, empty_table
from dixa_assets.defs.modelled.automation import rebuild_after_raw_changes
from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.defs.modelled.keys import CONVERSATIONS_KEY, EVENTS_KEY
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.table_asset import table_asset
from dixa_assets.defs.raw.activity_asset import ASSET_NAME as ACTIVITY_LOG
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.lake.sql import attach_lake
from dixa_assets.settings import Settings
from dixa_assets.warehouse.conversation_events import (
    CONVERSATION_EVENTS,
    CONVERSATIONS_WITHOUT_CREATION,
    EVENT_DEFINITIONS,
    EVENT_IDS_REPEATED,
    UNKNOWN_AGENTS,
)
from dixa_assets.warehouse.database import column_names
from dixa_assets.warehouse.dimension_history import register_history
from dixa_assets.warehouse.tables import CONVERSATION_EVENTS_TABLE, CONVERSATIONS_TABLE
from dixa_assets.warehouse.writes import comment_columns, transaction

_ACTIVITY_DESCRIPTIONS = descriptions(ACTIVITY_SCHEMA)


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> AssetsDefinition:
    tz = partitions_def.timezone

    @table_asset(
        EVENTS_KEY,
        CONVERSATION_EVENTS_TABLE,
        settings.duckdb_path,
        deps=[AssetKey(ACTIVITY_LOG), CONVERSATIONS_KEY, AssetKey("dixa_agents")],
        description="The activity log typed (every dixa_activity_log column) and joined to its "
        "conversation's current attributes, as DuckDB table dixa.conversation_events, one row "
        "per entry. Rebuilt whole when the activity log changes.",
        automation_condition=rebuild_after_raw_changes(),
        checks={
            "activity_ids_unique": "Each activity entry id is held once.",
            "creation_event_for_every_conversation": "Every conversation created on a day "
            "whose activity log is stored has a ConversationCreatedBy* entry.",
            "agents_known": "Every assignee_id of the export is an agent of some dixa_agents "
            "snapshot (warns: deleted agents are possible).",
        },
    )
    def conversation_events(
        duckdb: DuckDBResource, parquet_lake: ParquetLakeResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        lake = parquet_lake.get_lake()
        days = lake.partitions(ACTIVITY_LOG)
        files = [str(lake.path(ACTIVITY_LOG, day)) for day in days]
        with locked_connection(duckdb) as con:
            attach_lake(con, lake.root)
            _require_conversations(con)
            register_history(con, lake)
            con.register("empty_activity", empty_table(ACTIVITY_SCHEMA))
            source = "read_parquet($files, union_by_name = true)" if files else "empty_activity"
            params = {"tz": tz, **({"files": files} if files else {})}
            with transaction(con):
                con.execute(CONVERSATION_EVENTS.replace("{activity}", source), params)
                comment_columns(
                    con, CONVERSATION_EVENTS_TABLE, {**_ACTIVITY_DESCRIPTIONS, **EVENT_DEFINITIONS}
                )
            rows = con.execute(f"SELECT count(*) FROM {CONVERSATION_EVENTS_TABLE}").fetchall()[0][0]
            repeated = con.execute(EVENT_IDS_REPEATED).fetchall()[0][0]
            missing = [r[0] for r in con.execute(CONVERSATIONS_WITHOUT_CREATION,
                                                 {"tz": tz, "days": days}).fetchall()]  # fmt: skip
            unknown = [r[0] for r in con.execute(UNKNOWN_AGENTS).fetchall()]
            described = describe_table(con, CONVERSATION_EVENTS_TABLE, ("id", "type", "day"))
        yield MaterializeResult(
            metadata={"dagster/row_count": rows, "activity_days": len(days), **described}
        )
        yield AssetCheckResult(check_name="activity_ids_unique", passed=repeated == 0,
                               metadata={"repeated_ids": repeated})  # fmt: skip
        yield AssetCheckResult(
            check_name="creation_event_for_every_conversation",
            passed=not missing,
            metadata={"conversations": len(missing), "ids": MetadataValue.json(missing[:20])},
        )
        yield AssetCheckResult(
            check_name="agents_known",
            passed=not unknown,
            severity=AssetCheckSeverity.WARN,
            metadata={"unknown_agents": len(unknown), "ids": MetadataValue.json(unknown[:20])},
        )

    return conversation_events


def _require_conversations(con: DuckDBPyConnection) -> None:
    if not column_names(con, CONVERSATIONS_TABLE):
        raise Failure(f"dixa.{CONVERSATIONS_TABLE} does not exist yet: materialize "
                      "conversations first", allow_retries=False)  # fmt: skip
