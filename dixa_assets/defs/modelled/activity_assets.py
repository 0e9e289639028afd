"""DuckDB tables from the activity log and the dimensions (SQL in :mod:`.activity_sql`).

* ``conversation_events`` and ``conversation_handling`` are rebuilt whole from the lake, like
  ``conversations``: a conversation's figures need all of its entries, which span days, and a
  rebuild is an exact function of the stored files with no merge logic to get wrong.
* ``daily_team_metrics`` is a new daily table rather than new rows or columns in
  ``daily_support_metrics``: a team breakdown changes the grain (day x channel x queue there),
  and adding rows or columns would change what existing queries over that table sum to.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionsDefinition,
    asset,
)
from dagster_duckdb import DuckDBResource
from duckdb import DuckDBPyConnection

from dixa_assets.arrow.activity_schema import ARROW_SCHEMA as ACTIVITY_SCHEMA
from dixa_assets.arrow.schemas import descriptions
from dixa_assets.defs.modelled.activity_sql import (
    CONVERSATION_EVENTS,
    CONVERSATION_EVENTS_TABLE,
    CONVERSATION_HANDLING,
    CONVERSATION_HANDLING_TABLE,
    CONVERSATIONS_WITHOUT_CREATION,
    DAILY_TEAM_METRICS,
    DAILY_TEAM_METRICS_TABLE,
    EVENT_DEFINITIONS,
    EVENT_IDS_REPEATED,
    HANDLING_DEFINITIONS,
    TEAM_METRIC_DEFINITIONS,
    TEAM_METRICS_ADD_UP,
    UNKNOWN_AGENTS,
)
from dixa_assets.defs.modelled.assets import DUCKDB_ASSET
from dixa_assets.defs.modelled.automation import follow_same_day, rebuild_after_raw_changes
from dixa_assets.defs.modelled.database import column_names, locked_connection, qualified_name
from dixa_assets.defs.modelled.keys import CONVERSATIONS_KEY
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.sql import CONVERSATIONS_TABLE
from dixa_assets.defs.modelled.tables import comment_columns, replace_days, run_days, transaction
from dixa_assets.defs.raw.activity_asset import ASSET_NAME as ACTIVITY_LOG
from dixa_assets.defs.raw.dimension_assets import HISTORY
from dixa_assets.ingest.dimensions import DIMENSIONS
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import attach_lake
from dixa_assets.settings import Settings

EVENTS_KEY = AssetKey("conversation_events")
HANDLING_KEY = AssetKey("conversation_handling")
TEAM_METRICS_KEY = AssetKey("daily_team_metrics")
_DIMENSION = {d.name: d for d in DIMENSIONS}
_ACTIVITY_DESCRIPTIONS = descriptions(ACTIVITY_SCHEMA)


def _register_history(con: DuckDBPyConnection, lake: ParquetLake) -> None:
    """The dimension histories as `agents_history`, `teams_history`, `queues_history` (empty
    tables of the declared schema before the first snapshot)."""
    for name, view in (("dixa_agents", "agents"), ("dixa_teams", "teams"),
                       ("dixa_queues", "queues")):  # fmt: skip
        dimension = _DIMENSION[name]
        stored = HISTORY in lake.partitions(name)
        table = lake.read(name, [HISTORY]) if stored else dimension.arrow_schema.empty_table()
        con.register(f"{view}_history", table)


def _require_conversations(con: DuckDBPyConnection) -> None:
    if not column_names(con, CONVERSATIONS_TABLE):
        raise Failure(f"dixa.{CONVERSATIONS_TABLE} does not exist yet: materialize "
                      "conversations first", allow_retries=False)  # fmt: skip


def build_activity_modelled_assets(
    settings: Settings, partitions_def: TimeWindowPartitionsDefinition
) -> list[AssetsDefinition]:
    lake = ParquetLake(settings.data_dir)
    tz = partitions_def.timezone

    @asset(
        key=EVENTS_KEY,
        deps=[AssetKey(ACTIVITY_LOG), CONVERSATIONS_KEY, AssetKey("dixa_agents")],
        description="The activity log typed (every dixa_activity_log column) and joined to its "
        "conversation's current attributes, as DuckDB table dixa.conversation_events, one row "
        "per entry. Rebuilt whole when the activity log changes.",
        **DUCKDB_ASSET,
        automation_condition=rebuild_after_raw_changes(),
        metadata={
            "dagster/table_name": qualified_name(settings.duckdb_path, CONVERSATION_EVENTS_TABLE)
        },
        check_specs=[
            AssetCheckSpec(
                "activity_ids_unique",
                asset=EVENTS_KEY,
                description="Each activity entry id is held once.",
            ),
            AssetCheckSpec(
                "creation_event_for_every_conversation",
                asset=EVENTS_KEY,
                description="Every conversation created on a day whose activity log "
                "is stored has a ConversationCreatedBy* entry.",
            ),
            AssetCheckSpec(
                "agents_known",
                asset=EVENTS_KEY,
                description="Every assignee_id of the export is an agent of some "
                "dixa_agents snapshot (warns: deleted agents are possible).",
            ),
        ],
    )
    def conversation_events(
        duckdb: DuckDBResource,
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        days = lake.partitions(ACTIVITY_LOG)
        files = [str(lake.path(ACTIVITY_LOG, day)) for day in days]
        with locked_connection(duckdb) as con:
            attach_lake(con, lake.root)
            _require_conversations(con)
            _register_history(con, lake)
            con.register("empty_activity", ACTIVITY_SCHEMA.empty_table())
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

    @asset(
        key=HANDLING_KEY,
        deps=[EVENTS_KEY, AssetKey("dixa_teams"), AssetKey("dixa_queues")],
        description="Per conversation, from its activity log: transfers, reopens, queues "
        "visited with the wait in each, the first human agent reply (agent id), the handling "
        "agent and the team that agent was in at the time (dixa_teams history), as DuckDB table "
        "dixa.conversation_handling. Definitions are in the column descriptions.",
        **DUCKDB_ASSET,
        automation_condition=rebuild_after_raw_changes(),
        metadata={
            "dagster/table_name": qualified_name(settings.duckdb_path, CONVERSATION_HANDLING_TABLE)
        },
    )
    def conversation_handling(duckdb: DuckDBResource) -> MaterializeResult:
        with locked_connection(duckdb) as con:
            _register_history(con, lake)
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

    @asset(
        key=TEAM_METRICS_KEY,
        deps=[HANDLING_KEY, CONVERSATIONS_KEY],
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        description="Per day of creation, team at handling time and queue: conversations, new "
        "contacts (link-aware), transfer and reopen rates, queue wait, as DuckDB table "
        "dixa.daily_team_metrics. Definitions are in the column descriptions.",
        **DUCKDB_ASSET,
        automation_condition=follow_same_day(),
        metadata={
            "dagster/table_name": qualified_name(settings.duckdb_path, DAILY_TEAM_METRICS_TABLE)
        },
        check_specs=[
            AssetCheckSpec(
                "conversations_add_up",
                asset=TEAM_METRICS_KEY,
                description="Per day, conversations_created over all teams "
                "and queues equals the day's conversations.",
            )
        ],
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

    return [conversation_events, conversation_handling, daily_team_metrics]
