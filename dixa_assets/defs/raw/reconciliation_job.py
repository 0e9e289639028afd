"""``dixa_reconciliation_job`` and its weekly ``dixa_reconciliation_schedule`` (off until you
turn it on: it calls the API). See :mod:`dixa_assets.defs.raw.reconciliation`.

The job's one step reports each raw conversations day it merged changes into as a new
materialization of that day, so declarative automation runs ``dixa_erasures`` and rebuilds the
tables exactly as after a regular fetch.
"""

from collections.abc import Iterator

import pyarrow.parquet as pq
from dagster import (
    AssetMaterialization,
    DefaultScheduleStatus,
    Failure,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    Output,
    ScheduleDefinition,
    TimeWindowPartitionsDefinition,
    job,
    op,
)

from dixa_assets.defs.raw.export_assets import API_POOL, RETRY
from dixa_assets.defs.raw.exports_resource import DixaExportsResource
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.reconciliation import ASSET, reconcile
from dixa_assets.exports_api import PermanentError
from dixa_assets.settings import Settings

RECONCILIATION_JOB = "dixa_reconciliation_job"
RECONCILIATION_SCHEDULE = "dixa_reconciliation_schedule"


def build_reconciliation(
    settings: Settings, partitions_def: TimeWindowPartitionsDefinition
) -> tuple[JobDefinition, ScheduleDefinition]:
    @op(
        name="reconcile_conversations",
        pool=API_POOL,
        retry_policy=RETRY,
        description="Re-read the current state of every stored conversation (31-day created_at "
        "windows) and merge what the lake lacks (missing conversations, later updates, "
        "anonymizations that did not move updated_at) into the raw days of their updated_at.",
    )
    def reconcile_conversations(
        context: OpExecutionContext, dixa: DixaExportsResource, parquet_lake: ParquetLakeResource
    ) -> Iterator[AssetMaterialization | Output]:
        lake = parquet_lake.get_lake()
        try:
            with dixa.open_client(context.log) as client:
                result = reconcile(client, lake, partitions_def)
                metrics = client.metrics.as_dict()
        except PermanentError as error:
            raise Failure(description=str(error), allow_retries=False) from None
        figures = {
            "fetched": result.fetched,
            "missing_from_lake": result.missing,
            "anonymized_since": result.anonymized,
            "updated_since": result.updated,
            "requests": metrics["requests"],
            "retries": metrics["retries"],
        }
        if result.days_not_stored:
            context.log.warning(
                f"conversations updated on days not stored yet were left for those days' own "
                f"fetch: {result.days_not_stored}"
            )
        for day in result.days_written:
            path = lake.path(ASSET, day)
            rows = pq.ParquetFile(path.path, filesystem=path.fs).metadata.num_rows
            yield AssetMaterialization(
                asset_key=ASSET,
                partition=day,
                description="Merged by the reconciliation",
                metadata={"dagster/row_count": rows, "reconciliation_run": context.run.run_id},
            )
        yield Output(
            None,
            metadata={
                **figures,
                "span_created_ms": MetadataValue.json(
                    [result.span.start_ms, result.span.end_ms] if result.span else None
                ),
                "days_written": MetadataValue.json(result.days_written),
                "days_not_stored": MetadataValue.json(result.days_not_stored),
            },
        )

    @job(
        name=RECONCILIATION_JOB,
        description="Re-read every stored conversation's current state and feed what changed "
        "(anonymizations included) into the raw days; dixa_erasures and the tables follow.",
    )
    def reconciliation() -> None:
        reconcile_conversations()

    schedule = ScheduleDefinition(
        name=RECONCILIATION_SCHEDULE,
        job=reconciliation,
        cron_schedule=settings.reconciliation_cron,
        execution_timezone=partitions_def.timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description=f"Runs {RECONCILIATION_JOB} ({settings.reconciliation_cron}, "
        f"{partitions_def.timezone}; DIXA_RECONCILIATION_CRON). Off until turned on: it calls "
        "the API (about one request per 31 days of stored history).",
    )
    return reconciliation, schedule
