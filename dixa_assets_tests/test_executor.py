"""Runs execute their steps in process, and concurrent runs still share the API's pool slot.

Steps run in the run's own process (see ``dixa_assets/definitions.py``): this checks, with two
``dagster asset materialize`` commands started at once against one instance (the repo's
``dagster.yaml``), that the second API step waits for the first rather than calling the
rate-limited API alongside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
    simulator.latency_ms = 1500  # each API step lasts long enough to overlap, were it allowed
    try:
        runs = [
            subprocess.Popen(
                [
                    DAGSTER,
                    "asset",
                    "materialize",
                    "-m",
                    "dixa_assets.definitions",
                    "--select",
                    asset,
                    "--partition",
                    "2025-02-03",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for asset in ("dixa_conversations", "dixa_messages")
        ]
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
