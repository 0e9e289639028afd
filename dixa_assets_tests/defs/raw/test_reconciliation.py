"""Anonymizations that do not move ``updated_at`` never reach a re-fetch by ``updated_at``: the
reconciliation re-reads every stored conversation by ``created_at`` (one request per 31 days of
history) and feeds them, and conversations the lake lacks, into the same path."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from dixa_assets.definitions import build_definitions
from dixa_assets.defs.raw.reconciliation_job import RECONCILIATION_JOB, RECONCILIATION_SCHEDULE
from dixa_assets.erasure.procedure import leftovers
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import day_ms
from dixa_assets_tests.erasure.support import (
    ERASURES,
    LAST,
    START,
    duckdb_values,
    erasure_world,
    files_containing,
    follow,
    land,
    parquet_values,
    requested,
    stored_files,
)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    found = {}
    with erasure_world(tmp_path_factory, "reconciliation") as (org, server, instance, settings):
        lake = ParquetLake(settings.data_dir)
        _, cursor = requested(settings, instance)
        land(settings, instance, START, "2025-03-06")
        _, cursor = follow(settings, instance, cursor)

        stored = org.conversations_created(day_ms("2025-03-02")[0], day_ms("2025-03-05")[0])
        users = sorted({c["requester_id"] for c in stored if c.get("requester_email")})[:3]
        for user in users:
            org.anonymizations.add(user, day_ms(LAST)[0] + 3_600_000, moves_updated_at=False)
        # A conversation the lake lost (a day once fetched without it, say).
        day = "2025-03-03"
        table = lake.read("dixa_conversations", [day])
        lost = table.column("id")[0].as_py()
        lake.write("dixa_conversations", day, table.filter(pc.not_equal(table["id"], lost)))
        found["lost"] = lost

        org.set_now(day_ms("2025-03-08")[0])
        land(settings, instance, LAST, LAST)
        found["regular_rounds"], cursor = follow(settings, instance, cursor)
        truth = org.anonymizations.truth(day_ms(START)[0], day_ms(LAST)[1] - 1)
        found["missed_by_regular_fetch"] = truth.strings & parquet_values(settings)

        server.reset_log()
        defs = build_definitions(settings)
        run = defs.resolve_job_def(RECONCILIATION_JOB).execute_in_process(instance=instance)
        assert run.success
        found["requests"] = server.export_request_count
        found["output"] = _output_metadata(run)
        found["after_rounds"], cursor = follow(settings, instance, cursor)
        found["leftovers"] = leftovers(lake, settings.duckdb_path)
        found["schedule"] = defs.resolve_schedule_def(RECONCILIATION_SCHEDULE)
    return settings, truth, found


def _output_metadata(run) -> dict:
    [output] = [e for e in run.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in output.event_specific_data.metadata.items()}


def test_regular_fetches_miss_an_anonymization_that_does_not_move_updated_at(scenario):
    _, truth, found = scenario
    assert truth.conversation_ids
    assert found["missed_by_regular_fetch"], "the lake kept their data: the test can fail"


def test_reconciliation_reads_everything_in_31_day_windows_and_finds_what_changed(scenario):
    settings, truth, found = scenario
    output = found["output"]
    start, end = output["span_created_ms"]
    windows = -(-(end - start) // (31 * 86_400_000 - 1))
    assert found["requests"] == windows == 1
    assert output["anonymized_since"] >= len(truth.conversation_ids)
    assert output["missing_from_lake"] >= 1
    lake = ParquetLake(settings.data_dir)
    ids = set()
    for day in lake.partitions("dixa_conversations"):
        ids |= set(lake.read("dixa_conversations", [day]).column("id").to_pylist())
    assert found["lost"] in ids


def test_the_erasure_follows_by_automation_and_leaves_nothing(scenario):
    settings, truth, found = scenario
    assert any(ERASURES in round_ for round_ in found["after_rounds"])
    assert set(found["leftovers"].values()) == {0}
    assert not truth.strings & parquet_values(settings)
    assert not truth.strings & duckdb_values(settings)
    assert files_containing(stored_files(settings), truth.strings) == {}
    lake = ParquetLake(settings.data_dir)
    messages = set()
    for day in lake.partitions("dixa_messages"):
        messages |= set(lake.read("dixa_messages", [day]).column("id").to_pylist())
    assert truth.message_ids <= messages


def test_the_schedule_is_weekly_and_off_by_default(scenario):
    schedule = scenario[2]["schedule"]
    assert schedule.cron_schedule == "0 3 * * 0"
    assert schedule.default_status.value == "STOPPED"
