"""The raw files' checks: they pass on what the simulator serves and catch a damaged day."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import AssetSelection, DagsterInstance, materialize

from dixa_assets.definitions import build_definitions
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import day_ms, run_assets

DAY = "2025-03-10"


def results(run) -> dict[tuple[str, str], tuple[bool, dict]]:
    return {
        (e.asset_key.to_user_string(), e.check_name): (
            e.passed,
            {name: value.value for name, value in e.metadata.items()},
        )
        for e in run.get_asset_check_evaluations()
    }


def test_checks_run_with_the_raw_assets_and_pass_on_good_days(settings, simulator):
    run = run_assets(settings, ["dixa_conversations", "dixa_messages"], DAY, "2025-03-11")
    checks = results(run)
    assert len(checks) == 8
    for (asset, name), (passed, metadata) in checks.items():
        if name == "schema_drift":  # the simulator sends fields no reference lists, as Dixa does
            assert not passed and metadata["new_fields"]
            assert not metadata["columns_differing_by_day"]
        else:
            assert passed, (asset, name, metadata)


def test_checks_run_alone_check_every_stored_day_and_catch_a_damaged_one(settings, simulator):
    assert run_assets(settings, ["dixa_messages"], DAY).success
    lake = ParquetLake(settings.data_dir)
    rows = pq.read_table(lake.path("dixa_messages", DAY)).to_pylist()
    start, _ = day_ms(DAY)
    rows.append(dict(rows[0]))  # a duplicate id
    rows[1]["created_at"] = start - 1  # outside the day
    rows[2]["csid"] = None  # a required field missing
    table = pq.read_table(lake.path("dixa_messages", DAY))
    schema = pa.schema([field.with_nullable(True) for field in table.schema])
    damaged = pa.Table.from_pylist(rows, schema=schema).drop_columns(["voicemail_url"])
    # Damage done outside our write path, which would refuse it.
    pq.write_table(damaged, lake.path("dixa_messages", DAY))

    defs = build_definitions(settings)
    run = materialize(
        [*defs.assets, *defs.asset_checks],
        selection=AssetSelection.checks_for_assets("dixa_messages"),  # as "Execute checks" does
        resources=defs.resources,
        instance=DagsterInstance.ephemeral(),
    )
    checks = {name: outcome for (_, name), outcome in results(run).items()}
    assert checks["unique_ids"] == (False, {"duplicate_ids_by_day": {DAY: 1}})
    assert checks["inside_partition_window"] == (False, {"rows_outside_by_day": {DAY: 1}})
    passed, metadata = checks["required_fields"]
    assert not passed and metadata["nulls_by_field"]["csid"] == 1
    passed, metadata = checks["schema_drift"]
    assert not passed
    assert metadata["columns_differing_by_day"] == {
        DAY: {"missing": ["voicemail_url"], "unexpected": []}
    }
