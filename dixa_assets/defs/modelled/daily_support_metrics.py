"""``daily_support_metrics``: the numbers a support lead asks for, per day, channel and queue.

Daily: a run over one day or a range replaces exactly those days' rows in one transaction. Its
check is computed by its own step, on the rows it just wrote; each day's totals over all
channels go to the day's metadata, for the UI's plots.
"""

from collections.abc import Iterator, Mapping
from typing import Any

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
from dixa_assets.defs.modelled.keys import (
    CONVERSATION_MESSAGES_KEY,
    CONVERSATIONS_KEY,
    DAILY_SUPPORT_METRICS_KEY,
)
from dixa_assets.defs.modelled.lineage import daily_support_metrics_lineage
from dixa_assets.defs.modelled.metadata import describe_table
from dixa_assets.defs.modelled.table_asset import table_asset
from dixa_assets.defs.raw.freshness import modelled_freshness_policy
from dixa_assets.settings import Settings
from dixa_assets.warehouse.daily_support_metrics import (
    MESSAGES_ADD_UP,
    METRIC_DEFINITIONS,
    METRIC_ROWS_BY_DAY,
    SUPPORT_METRICS,
)
from dixa_assets.warehouse.database import fetch_dicts
from dixa_assets.warehouse.tables import DAILY_SUPPORT_METRICS_TABLE, DAY_COLUMN
from dixa_assets.warehouse.writes import replace_days, run_days, transaction

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


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> AssetsDefinition:
    @table_asset(
        DAILY_SUPPORT_METRICS_KEY,
        DAILY_SUPPORT_METRICS_TABLE,
        settings.duckdb_path,
        partitions_def=partitions_def,
        deps=[CONVERSATION_MESSAGES_KEY, CONVERSATIONS_KEY],
        description=_description(),
        automation_condition=follow_same_day(),
        freshness_policy=modelled_freshness_policy(settings.refresh_minutes),
        metadata={"dagster/column_lineage": daily_support_metrics_lineage()},
        checks={
            "messages_add_up": "Per day, inbound + outbound messages over all channels and "
            "queues equal the day's rows of dixa.conversation_messages."
        },
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


def _description() -> str:
    lines = [
        "The numbers a support lead asks for, per day, channel and queue, as DuckDB table "
        "dixa.daily_support_metrics, one day per partition. Durations are in seconds, computed "
        "from the millisecond timestamps. Conversation attributes are the current ones "
        "(dixa.conversations); days are local days in DIXA_TIMEZONE. Columns:",
        "",
    ]
    lines += [f"- `{name}`: {text}" for name, text in METRIC_DEFINITIONS.items()]
    return "\n".join(lines)


def _day_metadata(rows: int, totals: Mapping[str, Any]) -> dict[str, int | float]:
    """A day's numbers over all channels, for the UI's per-partition plots (nulls left out)."""
    metadata: dict[str, int | float] = {"dagster/row_count": rows}
    for name in PLOTTED_COUNTS:
        metadata[name] = int(totals.get(name) or 0)
    for name in PLOTTED_DURATIONS:
        if totals.get(name) is not None:
            metadata[name] = float(totals[name])
    return metadata
