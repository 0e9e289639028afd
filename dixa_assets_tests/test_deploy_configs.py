"""The production instance configs in deploy/ are what Dagster accepts, without a cluster.

Each file goes through the same schema validation ``DagsterInstance`` applies when it loads, and
the pluggable classes they name are imported and their own config validated against their own
schema (instantiating them would need a database and a Kubernetes API). The run and pool limits,
stated in every file, are kept equal to the local dagster.yaml's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import DagsterInstance
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import class_from_code_pointer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_ROOT / "deploy"
INSTANCE_FILES = [DEPLOY / "dagster-postgres.yaml", DEPLOY / "k8s" / "dagster.yaml"]


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def local_limits() -> dict[str, Any]:
    return load(PROJECT_ROOT / "dagster.yaml")["concurrency"]


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_the_instance_schema_accepts_it_and_its_classes_accept_their_config(path, tmp_path):
    shutil.copy(path, tmp_path / "dagster.yaml")
    config, custom_instance_class = dagster_instance_config(str(tmp_path))
    assert custom_instance_class is None
    assert set(config["storage"]) == {"postgres"}
    for key in ("run_launcher", "run_coordinator", "compute_logs"):
        if key not in config:
            continue
        pluggable = config[key]
        cls = class_from_code_pointer(pluggable["module"], pluggable["class"])
        result = validate_config(cls.config_type(), pluggable.get("config") or {})  # type: ignore[attr-defined]
        assert result.success, (key, [error.message for error in result.errors or []])


def test_kubernetes_runs_each_get_a_pod_and_wait_in_the_daemon_s_queue():
    config = load(DEPLOY / "k8s" / "dagster.yaml")
    assert (config["run_launcher"]["module"], config["run_launcher"]["class"]) == (
        "dagster_k8s",
        "K8sRunLauncher",
    )
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_the_local_instance_holds_every_pool_to_one_step(tmp_path):
    """The API's pool (and DuckDB's) as a Dagster instance loading dagster.yaml sees it."""
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        pools = instance.get_concurrency_config().pool_config
    assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "op")


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_the_run_and_pool_limits_are_the_local_ones(path):
    assert load(path)["concurrency"] == local_limits()


def test_the_helm_values_render_the_local_limits():
    """The chart renders ``concurrency`` from camelCase values (its _concurrency.tpl)."""
    values = load(DEPLOY / "k8s" / "values.yaml")
    concurrency = values["concurrency"]
    assert concurrency["enabled"] is True
    rendered = {
        "runs": {"max_concurrent_runs": concurrency["runs"]["maxConcurrentRuns"]},
        "pools": {
            "default_limit": concurrency["pools"]["defaultLimit"],
            "granularity": concurrency["pools"]["granularity"],
        },
    }
    assert rendered == local_limits()
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
