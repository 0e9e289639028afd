"""Two Dagster runs writing to the same DuckDB file at once, in two processes, both succeed.

DuckDB lets one process open a database file for writing; a second one fails at once. Dagster's
``dixa_duckdb`` pool prevents this in a deployment, but in-process runs ignore pools, so the
write itself must queue. The test holds the project's lock while both runs start, so both must
wait and then contend for it.
"""

from __future__ import annotations

import multiprocessing
import time

from dagster_duckdb import DuckDBResource

from dixa_assets.defs.modelled.duckdb_resource import locked_connection
from dixa_assets.settings import Settings
from dixa_assets_tests.conftest import day_ms, run_assets
from dixa_assets_tests.defs.modelled.conftest import RAW, query

DAYS = ("2025-03-10", "2025-03-11")
DAILY = ["conversation_messages", "daily_support_metrics"]
HOLD_S = 1.0


def materialize_day(settings: Settings, day: str, barrier, results) -> None:
    """In a child process: wait for the others, then materialize one day of the daily assets."""
    barrier.wait(timeout=120)
    result = run_assets(settings, DAILY, day, raise_on_error=False)
    results.put((day, result.success, time.time()))


def test_two_runs_writing_at_once_both_succeed(settings, simulator):
    assert run_assets(settings, RAW, DAYS[0], DAYS[-1]).success
    assert run_assets(settings, ["conversations"], None).success

    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(len(DAYS) + 1), spawn.Queue()
    children = [
        spawn.Process(target=materialize_day, args=(settings, day, barrier, results))
        for day in DAYS
    ]
    for child in children:
        child.start()
    with locked_connection(DuckDBResource(database=settings.duckdb_path)):
        barrier.wait(timeout=120)
        time.sleep(HOLD_S)  # both runs reach the write and queue behind us
        released = time.time()
    outcomes = sorted(results.get(timeout=120) for _ in DAYS)
    for child in children:
        child.join(timeout=60)

    assert [(day, ok) for day, ok, _ in outcomes] == [(day, True) for day in DAYS]
    assert all(finished > released for _, _, finished in outcomes), "they had to wait"
    counts = query(
        settings,
        "SELECT strftime(day, '%Y-%m-%d') AS day, count(*) AS n, count(DISTINCT id) AS ids "
        "FROM dixa.conversation_messages GROUP BY ALL ORDER BY day",
    )
    truth = {day: len(simulator.organisation.messages(*day_ms(day))) for day in DAYS}
    assert {row["day"]: row["n"] for row in counts} == truth
    assert all(row["n"] == row["ids"] > 0 for row in counts)
