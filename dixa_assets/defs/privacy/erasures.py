"""The ``dixa_erasures`` asset: anonymized conversations leave no personal data in the lake or
the DuckDB tables (the procedure is :mod:`dixa_assets.erasure`).

It runs by declarative automation (the ``dixa_modelled_automation`` sensor) whenever a raw
conversations day has landed, since that is where a new ``anonymized_at`` appears. Its blocking
check reads everything again afterwards and fails the run if any personal field of an anonymized
conversation is left.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.automation import after_deps_updated
from dixa_assets.defs.modelled.duckdb_resource import DUCKDB_POOL
from dixa_assets.defs.modelled.keys import ERASURES_KEY, PRIVACY_GROUP, RAW_CONVERSATIONS_KEY
from dixa_assets.defs.raw.export_assets import OWNERS, RETRY
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.erasure.database import AUDIT_TABLE
from dixa_assets.erasure.procedure import erase, leftovers
from dixa_assets.settings import Settings
from dixa_assets.warehouse.database import qualified_name

AUDIT_METADATA_ROWS = 100
"""Audit rows shown in a run's metadata; the table holds them all."""
CHECK = "no_personal_data_left"


def build_erasures_asset(settings: Settings) -> AssetsDefinition:
    audit_table = qualified_name(settings.duckdb_path, AUDIT_TABLE)

    @asset(
        key=ERASURES_KEY,
        # The activity log too: a day re-fetched after an erasure brings names back.
        deps=[RAW_CONVERSATIONS_KEY, AssetKey("dixa_activity_log")],
        description="Erases the personal data of every conversation Dixa has anonymized (its "
        "newest stored version has anonymized_at): requester details, subject, custom field "
        "values, wrap-up notes, rating comments and its messages' texts and addresses, from "
        "every raw Parquet day (files rewritten atomically) and every DuckDB table (one "
        "transaction, then the database file rewritten so no freed block keeps them). Ids, "
        f"timestamps, channels, queues, agents and scores stay. Audit: {audit_table}.",
        group_name=PRIVACY_GROUP,
        owners=OWNERS,
        kinds={"duckdb", "parquet"},
        pool=DUCKDB_POOL,
        retry_policy=RETRY,
        automation_condition=after_deps_updated("erase after raw conversations changed"),
        metadata={"dagster/table_name": audit_table},
        check_specs=[
            AssetCheckSpec(
                CHECK,
                asset=ERASURES_KEY,
                blocking=True,
                description="No personal field of any anonymized conversation is left in a raw "
                "Parquet day or a DuckDB table, and no database rewrite is pending.",
            )
        ],
    )
    def dixa_erasures(
        context: AssetExecutionContext, duckdb: DuckDBResource, parquet_lake: ParquetLakeResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        lake = parquet_lake.get_lake()
        report = erase(lake, duckdb.database, context.run.run_id)
        left = leftovers(lake, duckdb.database)
        files = sum(len(days) for days in report.raw_files_rewritten.values())
        context.log.info(
            f"erased {len(report.erased_conversations)} of {report.anonymized_conversations} "
            f"anonymized conversation(s); {files} raw file(s) rewritten; rows changed: "
            f"{report.rows_changed}"
        )
        audit = [
            {**row, "erased_at": row["erased_at"].isoformat()}
            for row in report.audit[:AUDIT_METADATA_ROWS]
        ]
        yield MaterializeResult(
            metadata={
                "anonymized_conversations": report.anonymized_conversations,
                "conversations_erased": len(report.erased_conversations),
                "raw_files_rewritten": files,
                "raw_files_rewritten_by_asset": MetadataValue.json(report.raw_files_rewritten),
                "rows_changed": MetadataValue.json(report.rows_changed),
                "database_file_rewritten": report.database_rewritten,
                "audit": MetadataValue.json(audit),
                "audit_rows_not_shown": max(0, len(report.audit) - AUDIT_METADATA_ROWS),
            }
        )
        yield AssetCheckResult(
            check_name=CHECK,
            passed=not any(left.values()),
            metadata={"rows_with_personal_data": MetadataValue.json(left)},
        )

    return dixa_erasures
