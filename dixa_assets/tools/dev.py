"""Demo mode: the project live in the Dagster UI, with data arriving while you watch.

``python -m dixa_assets.dev`` starts the Dixa Exports simulator on loopback and Dagster's
webserver and daemon (``dg dev``, which is ``dagster dev``) against it, switches every schedule and
sensor on through the webserver, and launches at once the run the refresh schedule launched at its
last tick: the last days land in the Parquet lake and the modelled tables follow by automation,
without waiting for tomorrow's tick. Everything is kept in the demo's own folder (``.demo``,
shared with ``dixa_assets.demo``; see ``demo.DemoState``), never in an exported
``DAGSTER_HOME`` or ``DIXA_DATA_DIR``. Ctrl-C stops everything and switches off again what it
switched on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dagster import DagsterInstance

from dixa_assets.defs.raw.reconciliation_job import RECONCILIATION_SCHEDULE
from dixa_assets.settings import Settings
from dixa_assets.tools.demo import (
    DEMO_DIR,
    PROJECT_ROOT,
    check_results,
    demo_state,
    report_checks,
    running_simulator,
    simulator_env,
)

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 180.0
SHUTDOWN_TIMEOUT_S = 30.0
LOG_NAME = "dagster-dev.log"
LOG_TAIL_LINES = 40
GRAPHQL_TIMEOUT_S = 30.0
CHECK_POLL_S = 10.0

WORKSPACE_QUERY = """
query Workspace($now: Float!) {
  workspaceOrError {
    __typename
    ... on PythonError { message }
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation {
            repositories {
              name
              schedules {
                name
                pipelineName
                scheduleState { status }
                potentialTickTimestamps(startTimestamp: $now, lowerLimit: 1, upperLimit: 1)
              }
              sensors { name sensorState { status } }
            }
          }
        }
      }
    }
  }
}
"""
# What a start or reset of each kind of instigator returns when it worked.
TOGGLED = {"schedule": "ScheduleStateResult", "sensor": "Sensor"}


def toggle_mutation(field: str, kind: str) -> str:
    """``startSchedule``, ``resetSensor``, ...: one schedule or sensor (``kind``) by selector.
    A reset puts it back to its default status: off for what demo mode switched on."""
    return (
        f"mutation Toggle($selector: {kind.capitalize()}Selector!) {{\n"
        f"  {field}({kind}Selector: $selector) {{ __typename ... on PythonError {{ message }} }}\n"
        "}"
    )


DRY_RUN = """
mutation DryRun($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult {
        runRequests { jobName runKey tags { key value } }
        skipReason
        error { message }
      }
    }
    ... on Error { message }
    ... on PythonError { message }
  }
}
"""
LAUNCH_RUN = """
mutation LaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
    ... on PythonError { message }
  }
}
"""


@dataclass(frozen=True)
class Schedule:
    """A schedule as the webserver describes it."""

    name: str
    job: str
    running: bool
    latest_tick: float
    """When it last ticked (or would have, had it been on), epoch seconds."""


@dataclass(frozen=True)
class Repository:
    """One loaded repository and the state of its automation, as the instance sees it."""

    location: str
    name: str
    schedules: tuple[Schedule, ...]
    sensors: Mapping[str, bool]
    """Sensor name to whether it is running."""

    def selector(self, kind: str, name: str) -> dict[str, str]:
        """The GraphQL selector of the schedule, sensor or job (``kind``) ``name``."""
        return {
            "repositoryLocationName": self.location,
            "repositoryName": self.name,
            f"{kind}Name": name,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dixa_assets.dev", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    parser.add_argument(
        "--state-dir",
        default=DEMO_DIR,
        help="where demo mode keeps its Dagster instance, lake and DuckDB file "
        "(default: .demo in the project, shared with the demo)",
    )
    args = parser.parse_args(argv)
    if not _port_is_free(args.port):
        # Checked first: dagster dev does not stop when its webserver cannot listen, and the
        # requests below would reach whatever holds the port, possibly another Dagster.
        parser.error(f"{HOST}:{args.port} is in use (another Dagster UI?): choose another --port")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress lines

    state = demo_state(args.state_dir)
    settings, home = state.settings(), state.home
    log_path = home / LOG_NAME
    ui = f"http://{HOST}:{args.port}"
    token = secrets.token_urlsafe(24)  # a fresh token for this simulator only; never printed
    # SIGTERM (a service manager, a test) stops everything as cleanly as Ctrl-C. Both are set
    # because a shell starts background jobs with SIGINT ignored, which dagster dev would inherit
    # and then pass on to SIGTERM too (it gives SIGTERM whatever handler SIGINT has).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    try:
        with running_simulator(token) as url:
            env = {
                **os.environ,
                **state.env(),  # absolute: Dagster runs in DAGSTER_HOME (see dagster_dev)
                **simulator_env(url, token),
            }
            print(f"Starting Dagster: instance {home}, data {env['DIXA_DATA_DIR']}")
            print(f"Its log (webserver, daemon, every run's events): {log_path}")
            with dagster_dev(args.port, env, home, log_path) as process:
                repositories = wait_until_loaded(ui, process)
                switched: list[Switched] = []
                try:
                    switch_on_automation(ui, repositories, switched)
                    run_until_stopped(ui, repositories, settings, home, process)
                finally:
                    if process.poll() is None:  # its webserver still answers
                        switch_off_automation(ui, switched)
    except KeyboardInterrupt:
        print("Stopped.")
    except (DevModeError, httpx.HTTPError) as error:
        tail = log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        print("\n".join(tail), file=sys.stderr)
        print(f"Demo mode failed: {error} (full log: {log_path})", file=sys.stderr)
        return 1
    return 0


def run_until_stopped(
    ui: str,
    repositories: list[Repository],
    settings: Settings,
    home: Path,
    process: subprocess.Popen[bytes],
) -> None:
    for run_id in launch_schedules_now(ui, repositories):
        print(f"Watch it: {ui}/runs/{run_id}")
    print(f"Dagster UI: {ui}  (Ctrl-C stops the UI, the daemon and the simulator)")
    report_checks_once_ready(settings, home, process)
    process.wait()
    raise DevModeError(f"dagster dev exited with code {process.returncode}")


def report_checks_once_ready(
    settings: Settings, home: Path, process: subprocess.Popen[bytes]
) -> None:
    """Once every check but the freshness ones (their sensor runs them every few minutes) has
    a result, print them all, as the demo does: what a first look at the UI would show."""
    while process.poll() is None:
        with DagsterInstance.from_config(str(home)) as instance:
            results = check_results(settings, instance)
        if all(r is not None for k, r in results.items() if k.name != "freshness_check"):
            report_checks(results)
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=CHECK_POLL_S)


class DevModeError(RuntimeError):
    """Demo mode cannot go on: Dagster did not start, or refused a request."""


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver binds
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


@contextmanager
def dagster_dev(
    port: int, env: Mapping[str, str], home: Path, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Dagster's webserver and daemon (``dg dev``) on loopback, logging to ``log_path``, and
    stopped on exit as by Ctrl-C.

    Its log goes to a file because every run's event log goes there too, and would bury the
    few lines this command prints. It runs in ``home``, not in the project, whose dagster.yaml
    would make it warn that the file is ignored; and in a session of its own, so that a Ctrl-C
    reaches it once, from us (see ``_stop_process_group``), not also from the terminal in the
    middle of its shutdown.
    """
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dg")),
                "dev",
                "--workspace",
                str(PROJECT_ROOT / "workspace.yaml"),
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop_process_group(process)


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Send Ctrl-C to the process and everything it started, as a terminal does, and wait
    until they have all exited, killing whatever is left after ``SHUTDOWN_TIMEOUT_S``.

    dagster dev stops its webserver and daemon itself, but counts on the terminal's Ctrl-C
    to reach its code server and the runs in progress; without it they would outlive us.
    """
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)  # anyone left in the group?
        except ProcessLookupError:
            break
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_until_loaded(ui: str, process: subprocess.Popen[bytes]) -> list[Repository]:
    """Poll the webserver until every code location has loaded; fail if one cannot load."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevModeError(f"dagster dev exited with code {process.returncode}")
        try:
            workspace = graphql(ui, WORKSPACE_QUERY, {"now": time.time()})["workspaceOrError"]
        except (httpx.TransportError, httpx.HTTPStatusError):
            workspace = None  # the webserver is not listening yet
        if workspace and workspace["__typename"] == "PythonError":
            raise DevModeError(f"The workspace failed to load: {workspace['message']}")
        entries = workspace["locationEntries"] if workspace else []
        if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
            return [repo for entry in entries for repo in _repositories(entry)]
        time.sleep(0.5)
    raise DevModeError(f"The Dagster UI at {ui} did not load within {STARTUP_TIMEOUT_S:.0f} s")


def _repositories(entry: Mapping[str, Any]) -> list[Repository]:
    location = entry["locationOrLoadError"]
    if location["__typename"] == "PythonError":
        raise DevModeError(f"Code location {entry['name']} failed to load: {location['message']}")
    return [
        Repository(
            location=entry["name"],
            name=repo["name"],
            schedules=tuple(
                Schedule(
                    name=schedule["name"],
                    job=schedule["pipelineName"],
                    running=schedule["scheduleState"]["status"] == "RUNNING",
                    # One tick before and one after the time asked about: the earlier one.
                    latest_tick=min(schedule["potentialTickTimestamps"]),
                )
                for schedule in repo["schedules"]
            ),
            sensors={s["name"]: s["sensorState"]["status"] == "RUNNING" for s in repo["sensors"]},
        )
        for repo in location["repositories"]
    ]


@dataclass(frozen=True)
class Switched:
    """A schedule or sensor demo mode switched on, to switch off again when it stops."""

    kind: str  # "schedule" or "sensor"
    name: str
    selector: dict[str, str]


def switch_on_automation(ui: str, repositories: list[Repository], switched: list[Switched]) -> None:
    """Start every schedule and sensor that is not running, as ``--start-all`` would, through
    the running webserver (the CLI would load the code location again, for seconds, each time).
    Each one started is appended to ``switched`` at once, so a failure part way still leaves
    the list complete for :func:`switch_off_automation`."""
    for repo in repositories:
        states = {
            **{("schedule", s.name): s.running for s in repo.schedules},
            **{("sensor", name): running for name, running in repo.sensors.items()},
        }
        for (kind, name), running in states.items():
            if not running:
                item = Switched(kind, name, repo.selector(kind, name))
                _toggle(ui, "start", item)
                switched.append(item)
        print(f"On in {repo.location}: {', '.join(name for _, name in states)}")


def switch_off_automation(ui: str, switched: list[Switched]) -> None:
    """Put what demo mode switched on back to its default (off), so that the next Dagster on
    this instance does not start ticking on its own."""
    for item in switched:
        _toggle(ui, "reset", item)
    if switched:
        print(f"Off again: {', '.join(item.name for item in switched)}")


def _toggle(ui: str, action: str, item: Switched) -> None:
    field = f"{action}{item.kind.capitalize()}"
    data = graphql(ui, toggle_mutation(field, item.kind), {"selector": item.selector})
    _expect(data, field, TOGGLED[item.kind])


def launch_schedules_now(ui: str, repositories: list[Repository]) -> list[str]:
    """Launch the run of the schedule that ticked last (the refresh, when it is on); return
    its id. Both raw schedules fetch the same days, so one run is enough.

    A schedule started now first ticks at its next tick. Its dry run at its latest tick (the
    UI's "Test schedule") is its own code choosing the days, so this fetches exactly what it
    fetches on each tick.
    """
    run_ids = []
    for repo in repositories:
        # The weekly reconciliation fetches no days: the run to launch is a raw schedule's.
        fetching = [s for s in repo.schedules if s.name != RECONCILIATION_SCHEDULE]
        latest = max(fetching, key=lambda s: s.latest_tick, default=None)
        for schedule in [latest] if latest else []:
            selector = repo.selector("schedule", schedule.name)
            dry_run = graphql(
                ui, DRY_RUN, {"selector": selector, "timestamp": schedule.latest_tick}
            )
            tick = _expect(dry_run, "scheduleDryRun", "DryRunInstigationTick")
            evaluation = tick["evaluationResult"]
            if evaluation["error"]:
                raise DevModeError(f"{schedule.name} failed: {evaluation['error']['message']}")
            if not evaluation["runRequests"]:
                print(f"{schedule.name} launches nothing: {evaluation['skipReason']}")
            for request in evaluation["runRequests"]:
                job = request["jobName"] or schedule.job
                params = {
                    "selector": repo.selector("job", job),
                    "executionMetadata": {"tags": request["tags"]},
                }
                launched = graphql(ui, LAUNCH_RUN, {"params": params})
                run_ids.append(_expect(launched, "launchRun", "LaunchRunSuccess")["run"]["runId"])
                print(
                    f"Launched {job} {request['runKey']}, as {schedule.name} did at its last tick"
                )
    return run_ids


def graphql(ui: str, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``data`` of one request to the webserver's GraphQL API; raises on GraphQL errors."""
    response = httpx.post(
        f"{ui}/graphql",
        json={"query": query, "variables": dict(variables or {})},
        timeout=GRAPHQL_TIMEOUT_S,
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise DevModeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def _expect(data: Mapping[str, Any], field: str, typename: str) -> dict[str, Any]:
    result = data[field]
    if result["__typename"] != typename:
        raise DevModeError(f"{field} failed: {result.get('message', result['__typename'])}")
    return result


if __name__ == "__main__":
    sys.exit(main())
