"""Runs execute their steps in process, and concurrent runs still share the API's pool slot.

Steps run in the run's own process (see ``dixa_assets/definitions.py``): this checks, with two
``dagster asset materialize`` commands against one instance (the repo's ``dagster.yaml``), the
second started while the first is calling the API, that the second API step waits for the first
rather than calling the rate-limited API alongside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, in_process_executor

from dixa_assets.definitions import DAILY_JOB, build_definitions
from dixa_assets_tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent
DAGSTER = Path(sys.executable).parent / "dagster"


def test_every_job_runs_its_steps_in_process(settings):
    defs = build_definitions(settings)
    jobs = [defs.resolve_implicit_global_asset_job_def(), defs.resolve_job_def(DAILY_JOB)]
    assert all(job.executor_def is in_process_executor for job in jobs)


def test_concurrent_runs_take_turns_at_the_api(simulator, settings, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DIXA_API_TOKEN": TOKEN,
        "DIXA_API_BASE_URL": settings.api_base_url,
        "DIXA_DATA_DIR": settings.data_dir,
        "DIXA_DUCKDB_PATH": settings.duckdb_path,
        "DIXA_START_DATE": settings.start_date,
        "DIXA_TIMEZONE": "UTC",
        "DIXA_REQUESTS_PER_MINUTE": "0",
    }
    with DagsterInstance.from_config(str(home)):
        pass  # create the instance's storage once, before two processes race to

    def materialize(asset: str) -> subprocess.Popen[str]:
        command = [DAGSTER, "asset", "materialize", "-m", "dixa_assets.definitions"]
        command += ["--select", asset, "--partition", "2025-02-03"]
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    # The first run's request takes 3 s; the second run starts once that request has arrived,
    # so it asks for the API's slot while the first holds it. (Started at the very same instant,
    # two runs can both get a slot: Dagster's claim on SQLite reads a free slot, then updates it,
    # without a lock between; PostgreSQL locks the row.)
    simulator.latency_ms = 3000
    try:
        runs = [materialize("dixa_conversations")]
        deadline = time.monotonic() + 60
        while simulator.export_requests_received == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        runs.append(materialize("dixa_messages"))
        outputs = [run.communicate(timeout=180)[0] for run in runs]
    finally:
        simulator.latency_ms = 0
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-3000:] for o in outputs)

    spans = []
    with DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs():
            events = {
                e.dagster_event_type: e.timestamp
                for e in instance.all_logs(run.run_id)
                if e.step_key in ("dixa_conversations", "dixa_messages")
                and e.dagster_event_type
                in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
            }
            spans.append(
                (events[DagsterEventType.STEP_START], events[DagsterEventType.STEP_SUCCESS])
            )
    first, second = sorted(spans)
    assert second[0] >= first[1], "both API steps ran at once"
