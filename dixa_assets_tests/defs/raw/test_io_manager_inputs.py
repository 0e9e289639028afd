"""A downstream Python asset reads raw days through the IO manager, and writes its own days."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import (
    AssetIn,
    DagsterInstance,
    TimeWindowPartitionMapping,
    asset,
    materialize,
)

from dixa_assets.definitions import build_definitions
from dixa_assets.defs.raw.io_manager import PARTITION_COLUMN_KEY
from dixa_assets.defs.raw.partitions import daily_partitions
from dixa_assets_tests.conftest import day_ms, run_assets

# Three days read by the downstream asset's partition of the last one; the middle one is missing.
FIRST, GAP, LAST = "2025-03-01", "2025-03-02", "2025-03-03"


def _message_counter(settings, allow_missing: bool):
    """Per day: how many messages the three days up to it hold (the lake's dixa_messages)."""

    @asset(
        partitions_def=daily_partitions(settings),
        io_manager_key="dixa_lake",
        metadata={PARTITION_COLUMN_KEY: "day_ts"},
        ins={
            "dixa_messages": AssetIn(
                partition_mapping=TimeWindowPartitionMapping(start_offset=-2),
                metadata={"allow_missing_partitions": True} if allow_missing else None,
            )
        },
    )
    def messages_in_three_days(context, dixa_messages):  # no annotations: they are strings here
        start = context.partition_time_window.start
        return pd.DataFrame(
            {"day_ts": [pd.Timestamp(start)], "messages": [len(dixa_messages)]}
        ).astype({"day_ts": "datetime64[ms, UTC]"})

    return messages_in_three_days


def _run(settings, downstream):
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        return materialize(
            [downstream, *defs.assets],
            selection=[downstream.key],
            partition_key=LAST,
            resources=dict(defs.resources),
            instance=instance,
            raise_on_error=False,
        )


def test_an_input_spanning_a_gap_skips_the_missing_day_when_it_asks_to(settings, simulator):
    assert run_assets(settings, ["dixa_messages"], FIRST).success
    assert run_assets(settings, ["dixa_messages"], LAST).success
    assert not (Path(settings.data_dir) / "dixa_messages" / f"{GAP}.parquet").exists()

    result = _run(settings, _message_counter(settings, allow_missing=True))
    assert result.success
    stored = pd.read_parquet(Path(settings.data_dir) / "messages_in_three_days" / f"{LAST}.parquet")
    org = simulator.organisation
    expected = len(org.messages(*day_ms(FIRST))) + len(org.messages(*day_ms(LAST)))
    assert expected and stored["messages"].tolist() == [expected]
    # The downstream day's own file is named by Dagster's dagster/uri.
    (materialization,) = result.asset_materializations_for_node("messages_in_three_days")
    uri = materialization.metadata["dagster/uri"].value
    assert (
        uri
        == (Path(settings.data_dir) / "messages_in_three_days" / f"{LAST}.parquet")
        .absolute()
        .as_uri()
    )


def test_without_asking_a_missing_day_fails_the_input_naming_it(settings, simulator):
    assert run_assets(settings, ["dixa_messages"], FIRST).success
    assert run_assets(settings, ["dixa_messages"], LAST).success

    result = _run(settings, _message_counter(settings, allow_missing=False))
    assert not result.success
    errors = [e for e in result.all_events if e.is_failure]
    assert any(GAP in str(e.event_specific_data.error) for e in errors if e.is_step_failure)


def test_when_every_day_is_missing_the_input_is_empty_with_the_declared_columns(settings):
    downstream = _message_counter(settings, allow_missing=True)
    result = _run(settings, downstream)
    assert result.success
    stored = pd.read_parquet(Path(settings.data_dir) / "messages_in_three_days" / f"{LAST}.parquet")
    assert stored["messages"].tolist() == [0]
