"""``conversation_messages``: every message of a day with its conversation's current attributes.

Daily: a run over one day or a range replaces exactly those days' rows in one transaction. Its
checks are computed by its own step, on the rows it just wrote.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionsDefinition,
)
from dagster_duckdb import DuckDBResource

from dixa_assets.arrow.schemas import MESSAGES as MESSAGES_SPEC
from dixa_assets.arrow.schemas import descriptions
from dixa_assets.defs.modelled.automation import follow_same_day
from dixa_assets.defs.modelled.conversations import CONVERSATION_DESCRIPTIONS
from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.defs.modelled.keys import (
    CONVERSATION_MESSAGES_KEY,
    CONVERSATIONS_KEY,
    RAW_MESSAGES_KEY,
)
from dixa_assets.defs.modelled.lineage import conversation_messages_lineage
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.table_asset import table_asset
from dixa_assets.defs.raw.freshness import modelled_freshness_policy
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.lake.sql import attach_lake
from dixa_assets.settings import Settings
from dixa_assets.warehouse.conversation_messages import (
    DAY_SUMMARY,
    MESSAGE_ID_REPEATS,
    SELECT_CONVERSATION_MESSAGES,
    conversation_columns,
)
from dixa_assets.warehouse.tables import CONVERSATION_MESSAGES_TABLE, DAY_COLUMN
from dixa_assets.warehouse.writes import replace_days, run_days, transaction

ORPHAN_RATE_WARN_ABOVE = 0.02
"""Share of a run's messages whose conversation is unknown above which the check warns. A few
are normal on the newest day (the conversation's latest update falls in a day not fetched yet);
more means conversations days are missing or late."""

# What a day's preview shows: never a personal column (Dagster keeps previews in its event log,
# where no erasure reaches).
MESSAGE_PREVIEW = (
    "id",
    "csid",
    "created_at_ts",
    "direction",
    "conversation_initial_channel",
    "conversation_queue_name",
    "conversation_status",
)

CONVERSATION_MESSAGE_DESCRIPTIONS = {
    **descriptions(MESSAGES_SPEC.arrow_schema),
    DAY_COLUMN: "Local day (DIXA_TIMEZONE) of the message's created_at: its partition",
    "conversation_known": "Whether the message's conversation (csid) is in dixa.conversations",
    **{
        target: f"Conversation's current {source}: {CONVERSATION_DESCRIPTIONS[source]}"
        for source, target in conversation_columns()
    },
}


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> AssetsDefinition:
    raw_messages = RAW_MESSAGES_KEY.path[-1]

    @table_asset(
        CONVERSATION_MESSAGES_KEY,
        CONVERSATION_MESSAGES_TABLE,
        settings.duckdb_path,
        partitions_def=partitions_def,
        deps=[RAW_MESSAGES_KEY, CONVERSATIONS_KEY],
        description="Every Dixa message of the day (dixa_messages) with the current attributes "
        "of its conversation (columns conversation_*: channel, queue, assignee, status, tags, "
        "requester, ...), as DuckDB table dixa.conversation_messages, one day per partition. A "
        "message whose conversation is not (yet) in dixa.conversations is kept with null "
        "conversation columns (conversation_known = false) and counted. A run replaces exactly "
        "its days' rows in one transaction.",
        automation_condition=follow_same_day(),
        freshness_policy=modelled_freshness_policy(settings.refresh_minutes),
        metadata={"dagster/column_lineage": conversation_messages_lineage()},
        checks={
            "conversations_known": "Every message's csid is found in dixa.conversations; warns "
            f"when more than {ORPHAN_RATE_WARN_ABOVE:.0%} of the run's messages are orphans.",
            "one_row_per_message": "Each message of the run's days is held exactly once in "
            "dixa.conversation_messages (not twice in those days, not on another day).",
        },
    )
    def conversation_messages(
        context: AssetExecutionContext, duckdb: DuckDBResource, parquet_lake: ParquetLakeResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        lake = parquet_lake.get_lake()
        keys = context.partition_keys
        files = [lake.path(raw_messages, key) for key in keys]
        missing = [key for key, path in zip(keys, files, strict=True) if not path.exists()]
        if missing:
            raise Failure(
                f"{raw_messages} has not been materialized for {', '.join(missing)}: "
                "materialize those days first",
                allow_retries=False,
            )
        days = run_days(keys)
        params = {"files": [str(path) for path in files], "days": list(keys)}
        with locked_connection(duckdb) as con:
            attach_lake(con, lake.root)
            with transaction(con):
                replaced = replace_days(
                    con, CONVERSATION_MESSAGES_TABLE, SELECT_CONVERSATION_MESSAGES, params, days,
                    CONVERSATION_MESSAGE_DESCRIPTIONS,
                )  # fmt: skip
            per_day = {
                day: (rows, orphans)
                for day, rows, orphans in con.execute(DAY_SUMMARY, days).fetchall()
            }
            repeated, elsewhere = con.execute(MESSAGE_ID_REPEATS, days).fetchone() or (0, 0)
            described = describe_table(con, CONVERSATION_MESSAGES_TABLE, MESSAGE_PREVIEW, days)
        for key in keys:
            rows, orphans = per_day.get(key, (0, 0))
            context.add_asset_metadata(
                {"dagster/row_count": rows, "orphan_messages": orphans},
                partition_key=key,
            )
        written = sum(rows for rows, _ in per_day.values())
        orphans = sum(orphans for _, orphans in per_day.values())
        orphan_rate = orphans / written if written else 0.0
        yield MaterializeResult(
            metadata={
                "run_rows": written,
                "replaced_rows": replaced,
                "run_orphan_messages": orphans,
                **described,
            }
        )
        yield AssetCheckResult(
            check_name="conversations_known",
            passed=orphan_rate <= ORPHAN_RATE_WARN_ABOVE,
            severity=AssetCheckSeverity.WARN,
            metadata={
                "orphan_messages": orphans,
                "messages": written,
                "orphan_rate": orphan_rate,
                "warn_above": ORPHAN_RATE_WARN_ABOVE,
                "orphans_by_day": MetadataValue.json(
                    {day: n for day, (_, n) in sorted(per_day.items()) if n}
                ),
            },
        )
        yield AssetCheckResult(
            check_name="one_row_per_message",
            passed=repeated == elsewhere == 0,
            metadata={"repeated_in_run_days": repeated, "also_on_other_days": elsewhere},
        )

    return conversation_messages
