"""The modelled assets: DuckDB tables built straight from the Parquet lake with set-based SQL.

* ``conversations`` is rebuilt in full on every run: the latest version of each id over every
  file of the lake. It is an exact function of the lake, with no merge logic to get wrong: a
  day re-fetched after a conversation moved to a later day loses that version, and the rebuild
  simply falls back to the latest one still stored. Measured at 1M stored versions of 700k
  conversations in 365 files: 3.5-5 s for the whole Dagster run (2 shared cores).
* ``conversation_messages`` and ``daily_support_metrics`` are daily: a run over one day or a
  range replaces exactly those days' rows in one transaction.

All writes take the database lock of :mod:`.database` and run in the ``dixa_duckdb`` pool. The
checks of each modelled asset are computed by its own step, on the rows it just wrote.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionsDefinition,
    asset,
)
from dagster_duckdb import DuckDBResource

from dixa_assets.arrow.schemas import CONVERSATIONS as CONVERSATIONS_SPEC
from dixa_assets.arrow.schemas import MESSAGES as MESSAGES_SPEC
from dixa_assets.arrow.schemas import descriptions
from dixa_assets.defs.modelled.automation import follow_same_day, rebuild_after_raw_changes
from dixa_assets.defs.modelled.database import (
    DUCKDB_POOL,
    fetch_dicts,
    locked_connection,
    qualified_name,
)
from dixa_assets.defs.modelled.keys import (
    CONVERSATION_MESSAGES_KEY,
    CONVERSATIONS_KEY,
    DAILY_SUPPORT_METRICS_KEY,
    MODELLED_GROUP,
    RAW_CONVERSATIONS_KEY,
    RAW_MESSAGES_KEY,
)
from dixa_assets.defs.modelled.lineage import (
    conversation_messages_lineage,
    conversations_lineage,
    daily_support_metrics_lineage,
)
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.sql import (
    CONVERSATION_MESSAGES_TABLE,
    CONVERSATIONS_TABLE,
    DAILY_SUPPORT_METRICS_TABLE,
    DAY_COLUMN,
    DAY_SUMMARY,
    EMPTY_CONVERSATIONS,
    MESSAGE_ID_REPEATS,
    MESSAGES_ADD_UP,
    METRIC_DEFINITIONS,
    METRIC_ROWS_BY_DAY,
    REBUILD_CONVERSATIONS,
    SELECT_CONVERSATION_MESSAGES,
    SUPPORT_METRICS,
    conversation_columns,
)
from dixa_assets.defs.modelled.tables import comment_columns, replace_days, run_days, transaction
from dixa_assets.defs.raw.export_assets import CONVERSATION_PREVIEW, OWNERS, RETRY
from dixa_assets.defs.raw.freshness import modelled_freshness_policy
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import attach_lake
from dixa_assets.settings import Settings

ORPHAN_RATE_WARN_ABOVE = 0.02
"""Share of a run's messages whose conversation is unknown above which the check warns. A few
are normal on the newest day (the conversation's latest update falls in a day not fetched yet);
more means conversations days are missing or late."""

# What every DuckDB table asset shares: its group, owner, kind, the one-writer pool and retries
# (another program holding the database file open, e.g. a BI tool or the DuckDB CLI, outlasting
# the resource's connect retries is worth another try; SQL errors fail the same way again, cheaply).
DUCKDB_ASSET = {
    "group_name": MODELLED_GROUP,
    "owners": OWNERS,
    "kinds": {"duckdb"},
    "pool": DUCKDB_POOL,
    "retry_policy": RETRY,
}

TABLES = {
    CONVERSATIONS_KEY: CONVERSATIONS_TABLE,
    CONVERSATION_MESSAGES_KEY: CONVERSATION_MESSAGES_TABLE,
    DAILY_SUPPORT_METRICS_KEY: DAILY_SUPPORT_METRICS_TABLE,
}
"""Each modelled asset's table in schema dixa; its ``dagster/table_name`` adds the catalog."""

MESSAGE_PREVIEW = (
    "id",
    "csid",
    "created_at_ts",
    "direction",
    "conversation_initial_channel",
    "conversation_queue_name",
    "conversation_status",
)
METRIC_PREVIEW = (
    DAY_COLUMN,
    "channel",
    "queue_name",
    "conversations_created",
    "conversations_closed",
    "first_response_seconds_median",
)
PLOTTED_COUNTS = (
    "conversations_created",
    "conversations_closed",
    "inbound_messages",
    "outbound_messages",
    "conversations_responded",
)
PLOTTED_DURATIONS = tuple(name for name in METRIC_DEFINITIONS if name.endswith(("_median", "_p90")))


CONVERSATION_DESCRIPTIONS = descriptions(CONVERSATIONS_SPEC.arrow_schema)
CONVERSATION_MESSAGE_DESCRIPTIONS = {
    **descriptions(MESSAGES_SPEC.arrow_schema),
    DAY_COLUMN: "Local day (DIXA_TIMEZONE) of the message's created_at: its partition",
    "conversation_known": "Whether the message's conversation (csid) is in dixa.conversations",
    **{
        target: f"Conversation's current {source}: {CONVERSATION_DESCRIPTIONS[source]}"
        for source, target in conversation_columns()
    },
}


def build_modelled_assets(
    settings: Settings, partitions_def: TimeWindowPartitionsDefinition
) -> list[AssetsDefinition]:
    """The three modelled assets for one set of settings."""
    lake = ParquetLake(settings.data_dir)
    policy = modelled_freshness_policy(settings.refresh_minutes)

    def finish(spec: AssetSpec) -> AssetSpec:
        table = qualified_name(settings.duckdb_path, TABLES[spec.key])
        return spec.replace_attributes(freshness_policy=policy).merge_attributes(
            metadata={"dagster/table_name": table}
        )

    return [
        asset.map_asset_specs(finish)
        for asset in (
            _conversations_asset(lake),
            _conversation_messages_asset(lake, partitions_def),
            _daily_support_metrics_asset(partitions_def),
        )
    ]


def _conversations_asset(lake: ParquetLake) -> AssetsDefinition:
    @asset(
        key=CONVERSATIONS_KEY,
        deps=[RAW_CONVERSATIONS_KEY],
        description="One row per Dixa conversation: its latest version (highest updated_at) "
        "across all dixa_conversations days, as DuckDB table dixa.conversations. Rebuilt in "
        "full from the Parquet lake whenever a raw conversations day changes.",
        **DUCKDB_ASSET,
        automation_condition=rebuild_after_raw_changes(),
        metadata={"dagster/column_lineage": conversations_lineage()},
        check_specs=[
            AssetCheckSpec(
                "one_row_per_id",
                asset=CONVERSATIONS_KEY,
                description="dixa.conversations holds each conversation id exactly once.",
            )
        ],
    )
    def conversations(duckdb: DuckDBResource) -> Iterator[MaterializeResult | AssetCheckResult]:
        raw = RAW_CONVERSATIONS_KEY.path[-1]
        files = [str(lake.path(raw, key)) for key in lake.partitions(raw)]
        with locked_connection(duckdb) as con:
            attach_lake(con, lake.root)
            with transaction(con):
                if files:
                    con.execute(REBUILD_CONVERSATIONS, {"files": files})
                else:
                    empty = CONVERSATIONS_SPEC.arrow_schema.empty_table()
                    con.register("empty_conversations", empty)
                    con.execute(EMPTY_CONVERSATIONS)
                comment_columns(con, CONVERSATIONS_TABLE, CONVERSATION_DESCRIPTIONS)
            rows, ids = con.execute(
                f"SELECT count(*), count(DISTINCT id) FROM {CONVERSATIONS_TABLE}"
            ).fetchone() or (0, 0)
            versions = (
                con.execute("SELECT count(*) FROM read_parquet($f)", {"f": files}).fetchone()[0]
                if files
                else 0
            )
            statuses = dict(
                con.execute(
                    f"SELECT coalesce(status, '(none)'), count(*) FROM {CONVERSATIONS_TABLE} "
                    "GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            )
            described = describe_table(con, CONVERSATIONS_TABLE, CONVERSATION_PREVIEW)
        yield MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "raw_files": len(files),
                "raw_versions": versions,
                "superseded_versions": versions - rows,
                "by_status": MetadataValue.json(statuses),
                **described,
            }
        )
        yield AssetCheckResult(
            check_name="one_row_per_id",
            passed=rows == ids,
            metadata={"rows": rows, "distinct_ids": ids},
        )

    return conversations


def _conversation_messages_asset(
    lake: ParquetLake, partitions_def: TimeWindowPartitionsDefinition
) -> AssetsDefinition:
    raw_messages = RAW_MESSAGES_KEY.path[-1]

    @asset(
        key=CONVERSATION_MESSAGES_KEY,
        deps=[RAW_MESSAGES_KEY, CONVERSATIONS_KEY],
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        description="Every Dixa message of the day (dixa_messages) with the current attributes "
        "of its conversation (columns conversation_*: channel, queue, assignee, status, tags, "
        "requester, ...), as DuckDB table dixa.conversation_messages, one day per partition. A "
        "message whose conversation is not (yet) in dixa.conversations is kept with null "
        "conversation columns (conversation_known = false) and counted. A run replaces exactly "
        "its days' rows in one transaction.",
        **DUCKDB_ASSET,
        automation_condition=follow_same_day(),
        metadata={"dagster/column_lineage": conversation_messages_lineage()},
        check_specs=[
            AssetCheckSpec(
                "conversations_known",
                asset=CONVERSATION_MESSAGES_KEY,
                description="Every message's csid is found in dixa.conversations; warns when "
                f"more than {ORPHAN_RATE_WARN_ABOVE:.0%} of the run's messages are orphans.",
            ),
            AssetCheckSpec(
                "one_row_per_message",
                asset=CONVERSATION_MESSAGES_KEY,
                description="Each message of the run's days is held exactly once in "
                "dixa.conversation_messages (not twice in those days, not on another day).",
            ),
        ],
    )
    def conversation_messages(
        context: AssetExecutionContext, duckdb: DuckDBResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
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


def _metrics_description() -> str:
    lines = [
        "The numbers a support lead asks for, per day, channel and queue, as DuckDB table "
        "dixa.daily_support_metrics, one day per partition. Durations are in seconds, computed "
        "from the millisecond timestamps. Conversation attributes are the current ones "
        "(dixa.conversations); days are local days in DIXA_TIMEZONE. Columns:",
        "",
    ]
    lines += [f"- `{name}`: {text}" for name, text in METRIC_DEFINITIONS.items()]
    return "\n".join(lines)


def _daily_support_metrics_asset(
    partitions_def: TimeWindowPartitionsDefinition,
) -> AssetsDefinition:
    @asset(
        key=DAILY_SUPPORT_METRICS_KEY,
        deps=[CONVERSATION_MESSAGES_KEY, CONVERSATIONS_KEY],
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        description=_metrics_description(),
        **DUCKDB_ASSET,
        automation_condition=follow_same_day(),
        metadata={"dagster/column_lineage": daily_support_metrics_lineage()},
        check_specs=[
            AssetCheckSpec(
                "messages_add_up",
                asset=DAILY_SUPPORT_METRICS_KEY,
                description="Per day, inbound + outbound messages over all channels and queues "
                "equal the day's rows of dixa.conversation_messages.",
            )
        ],
    )
    def daily_support_metrics(
        context: AssetExecutionContext, duckdb: DuckDBResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        keys = context.partition_keys
        days = run_days(keys)
        window = {"tz": partitions_def.timezone, **days}
        with locked_connection(duckdb) as con:
            with transaction(con):
                replaced = replace_days(
                    con, DAILY_SUPPORT_METRICS_TABLE, SUPPORT_METRICS,
                    {**window, "by_channel_and_queue": True}, days, METRIC_DEFINITIONS,
                )  # fmt: skip
            all_channels = {**window, "by_channel_and_queue": False}
            totals = {
                row[DAY_COLUMN].isoformat(): row
                for row in fetch_dicts(con, SUPPORT_METRICS, all_channels)
            }
            rows_by_day = dict(con.execute(METRIC_ROWS_BY_DAY, days).fetchall())
            mismatches = con.execute(MESSAGES_ADD_UP, days).fetchall()
            described = describe_table(con, DAILY_SUPPORT_METRICS_TABLE, METRIC_PREVIEW, days)
        for key in keys:
            context.add_asset_metadata(
                _day_metadata(rows_by_day.get(key, 0), totals.get(key, {})),
                partition_key=key,
            )
        yield MaterializeResult(
            metadata={
                "run_rows": sum(rows_by_day.values()),
                "replaced_rows": replaced,
                **described,
            }
        )
        yield AssetCheckResult(
            check_name="messages_add_up",
            passed=not mismatches,
            metadata={
                "days_that_do_not_add_up": MetadataValue.json(
                    {day: {"metrics": a, "messages": b} for day, a, b in mismatches}
                )
            },
        )

    return daily_support_metrics


def _day_metadata(rows: int, totals: Mapping[str, Any]) -> dict[str, int | float]:
    """A day's numbers over all channels, for the UI's per-partition plots (nulls left out)."""
    metadata: dict[str, int | float] = {"dagster/row_count": rows}
    for name in PLOTTED_COUNTS:
        metadata[name] = int(totals.get(name) or 0)
    for name in PLOTTED_DURATIONS:
        if totals.get(name) is not None:
            metadata[name] = float(totals[name])
    return metadata
