"""Demo mode switches on every schedule and sensor through Dagster's GraphQL API, and puts back
what it switched on when it stops (Ctrl-C, SIGTERM), so the instance does not tick on its own
the next time Dagster runs on it. The real GraphQL schema, against the real code location."""

from __future__ import annotations

import time

import pytest
from dagster import instance_for_test
from dagster._core.scheduler.instigation import InstigatorStatus
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

from dixa_assets.tools import dev_graphql
from dixa_assets.tools.demo import PROJECT_ROOT

WORKSPACE = PROJECT_ROOT / "workspace.yaml"  # the code location as demo mode loads it


def _statuses(repositories: list[dev_graphql.Repository]) -> dict[str, bool]:
    return {
        **{s.name: s.running for repo in repositories for s in repo.schedules},
        **{name: running for repo in repositories for name, running in repo.sensors.items()},
    }


@pytest.fixture
def webserver_graphql(tmp_path, monkeypatch):
    """``dev_graphql.graphql`` answered by Dagster's GraphQL schema in process, on a fresh
    instance."""
    monkeypatch.setenv("DIXA_DATA_DIR", str(tmp_path / "data"))
    with (
        instance_for_test() as instance,
        define_out_of_process_context(str(WORKSPACE), None, instance) as context,
    ):

        def graphql(ui, query, variables=None):
            result = execute_dagster_graphql(context, query, dict(variables or {}))
            assert not result.errors, result.errors
            return result.data

        monkeypatch.setattr(dev_graphql, "graphql", graphql)
        yield instance


def _repositories() -> list[dev_graphql.Repository]:
    data = dev_graphql.graphql("", dev_graphql.WORKSPACE_QUERY, {"now": time.time()})
    (entry,) = data["workspaceOrError"]["locationEntries"]
    return dev_graphql.entry_repositories(entry)


def test_what_demo_mode_switched_on_is_off_again_when_it_stops(webserver_graphql):
    before = _statuses(_repositories())
    assert not all(before.values()), "nothing for demo mode to switch on"

    switched: list[dev_graphql.Switched] = []
    dev_graphql.switch_on_automation("", _repositories(), switched)
    assert all(_statuses(_repositories()).values())
    assert {item.name for item in switched} == {name for name, on in before.items() if not on}

    dev_graphql.switch_off_automation("", switched)
    assert _statuses(_repositories()) == before  # the default-on sensors stay on
    states = webserver_graphql.all_instigator_state()
    assert all(
        state.status != InstigatorStatus.RUNNING
        for state in states
        if state.name in {item.name for item in switched}
    )
