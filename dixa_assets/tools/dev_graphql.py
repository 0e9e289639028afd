"""Demo mode's conversation with the Dagster webserver's GraphQL API: reading the workspace
(its repositories, schedules and sensors), switching schedules and sensors on and off again,
and launching what a schedule's dry run asks for. :mod:`dixa_assets.tools.dev` runs the
processes that answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from dixa_assets.defs.raw.reconciliation_job import RECONCILIATION_SCHEDULE

GRAPHQL_TIMEOUT_S = 30.0

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


class DevModeError(RuntimeError):
    """Demo mode cannot go on: Dagster did not start, or refused a request."""


def entry_repositories(entry: Mapping[str, Any]) -> list[Repository]:
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
