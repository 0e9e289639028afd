"""Asset checks of the raw daily Parquet files, run with every materialization of them.

One step per raw asset reads the days its run wrote (in an in-memory DuckDB, so it never waits
for the database lock) and reports four checks, each visible on the asset in the UI:

* ``unique_ids``: no id appears twice in a day's file;
* ``required_fields``: the fields the reference marks required are never null;
* ``inside_partition_window``: every row's partitioning timestamp lies in its file's day;
* ``schema_drift`` (warning): fields the reference does not list arrived (kept in
  ``extra_fields``), or a file's columns differ from the declared schema.

The checks of the modelled tables live with their assets, one module per table in
:mod:`dixa_assets.defs.modelled`.
"""

from collections import Counter
from collections.abc import Iterator

import duckdb
import pyarrow.parquet as pq
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    TimeWindowPartitionsDefinition,
    multi_asset_check,
)

from dixa_assets.arrow.records import unknown_field_counts
from dixa_assets.arrow.schemas import EXTRA_FIELDS, TableSpec
from dixa_assets.defs.raw.export_assets import RAW_EXPORTS
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.partitions import partition_windows
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.sql import attach_lake
from dixa_assets.warehouse.database import fetch_dicts


def build_raw_checks(partitions_def: TimeWindowPartitionsDefinition) -> list[AssetChecksDefinition]:
    """The checks of every raw export asset."""
    return [
        _raw_checks(AssetKey(export.asset_name), export.spec, partitions_def)
        for export in RAW_EXPORTS
    ]


def _days_to_check(
    context: AssetCheckExecutionContext, lake: ParquetLake, asset_name: str
) -> list[str]:
    """The days the run wrote; every stored day when the checks are run on their own (the UI's
    "Execute checks" launches an unpartitioned run)."""
    if context.has_partition_key or context.has_partition_key_range:
        return list(context.partition_keys)
    return lake.partitions(asset_name)


def _day_stats_sql(spec: TableSpec) -> str:
    nulls = ",\n    ".join(
        f'count(*) FILTER (WHERE r."{f.name}" IS NULL) AS "{f.name}"'
        for f in spec.fields
        if f.required
    )
    column = spec.partition_field
    return f"""
WITH w AS (
    SELECT
        unnest($keys) AS partition_key,
        unnest($files) AS filename,
        unnest($starts) AS start_ms,
        unnest($ends) AS end_ms
)
SELECT
    w.partition_key,
    count(r.id) - count(DISTINCT r.id) AS duplicate_ids,
    count(*) FILTER (WHERE r.{column} < w.start_ms OR r.{column} >= w.end_ms) AS outside_window,
    {nulls}
FROM read_parquet($files, union_by_name = true, filename = true) AS r
JOIN w ON w.filename = r.filename
GROUP BY ALL
ORDER BY ALL
"""


def _raw_checks(
    key: AssetKey,
    spec: TableSpec,
    partitions_def: TimeWindowPartitionsDefinition,
) -> AssetChecksDefinition:
    asset_name = key.path[-1]
    day_stats_sql = _day_stats_sql(spec)
    required = [f.name for f in spec.fields if f.required]
    expected_columns = set(spec.arrow_schema.names)

    specs = [
        AssetCheckSpec(name, asset=key, description=text)
        for name, text in {
            "unique_ids": "No id appears twice in a day's file.",
            "required_fields": f"Required fields are never null: {', '.join(required)}.",
            "inside_partition_window": f"Every row's {spec.partition_field} lies in its file's "
            "day.",
            "schema_drift": "Warns when fields the reference does not list arrive, or a file's "
            "columns differ from the declared schema.",
        }.items()
    ]

    @multi_asset_check(
        name=f"{asset_name}_checks",
        specs=specs,
        description=f"Checks of the {asset_name} days written by the run.",
    )
    def raw_checks(
        context: AssetCheckExecutionContext, parquet_lake: ParquetLakeResource
    ) -> Iterator[AssetCheckResult]:
        lake = parquet_lake.get_lake()
        keys = _days_to_check(context, lake, asset_name)
        if not keys:
            for check in specs:
                yield AssetCheckResult(check_name=check.name, passed=True, metadata={"days": 0})
            return
        files = [lake.path(asset_name, k) for k in keys]
        paths = [str(file) for file in files]
        windows = partition_windows(partitions_def, keys)
        with duckdb.connect() as con:
            attach_lake(con, lake.root)
            params = {
                "keys": keys,
                "files": paths,
                "starts": [w.start_ms for w in windows],
                "ends": [w.end_ms for w in windows],
            }
            by_day = {row["partition_key"]: row for row in fetch_dicts(con, day_stats_sql, params)}

        duplicates = {day: s["duplicate_ids"] for day, s in by_day.items() if s["duplicate_ids"]}
        outside = {day: s["outside_window"] for day, s in by_day.items() if s["outside_window"]}
        nulls = {name: sum(s[name] for s in by_day.values()) for name in required}
        # Counted as the raw asset counts them for its run's metadata: one definition.
        new_fields: Counter[str] = Counter()
        drifted = {}
        for day, file in zip(keys, files, strict=True):
            # Not pq.read_table: it imports pyarrow.dataset, and that pandas (0.2 s, 50 MiB).
            with pq.ParquetFile(file.path, filesystem=file.fs) as parquet:
                columns = set(parquet.schema_arrow.names)
                if EXTRA_FIELDS in columns:  # a file without it is reported as drifted below
                    extra = parquet.read(columns=[EXTRA_FIELDS])
                    new_fields.update(unknown_field_counts(extra, EXTRA_FIELDS))
            missing, unexpected = expected_columns - columns, columns - expected_columns
            if missing or unexpected:
                drifted[day] = {"missing": sorted(missing), "unexpected": sorted(unexpected)}

        yield AssetCheckResult(
            check_name="unique_ids",
            passed=not duplicates,
            metadata={"duplicate_ids_by_day": MetadataValue.json(duplicates)},
        )
        yield AssetCheckResult(
            check_name="required_fields",
            passed=not any(nulls.values()),
            metadata={"nulls_by_field": MetadataValue.json(nulls)},
        )
        yield AssetCheckResult(
            check_name="inside_partition_window",
            passed=not outside,
            metadata={"rows_outside_by_day": MetadataValue.json(outside)},
        )
        why = []
        if new_fields:
            why.append(
                f"{len(new_fields)} field(s) the API reference does not list arrived "
                f"({', '.join(sorted(new_fields))}); they are kept in {EXTRA_FIELDS}, and "
                "declaring them in dixa_assets/arrow/schemas.py would give them columns"
            )
        if drifted:
            why.append(f"the files of {len(drifted)} day(s) differ from the declared columns")
        yield AssetCheckResult(
            check_name="schema_drift",
            passed=not new_fields and not drifted,
            severity=AssetCheckSeverity.WARN,
            description="; ".join(why) or None,
            metadata={
                "new_fields": MetadataValue.json(dict(sorted(new_fields.items()))),
                "columns_differing_by_day": MetadataValue.json(drifted),
            },
        )

    return raw_checks
