"""One simulator per test session, and helpers that run real Dagster materializations against it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from dixa_assets.definitions import build_definitions
from dixa_assets.defs.raw.exports_resource import DixaExportsResource
from dixa_assets.defs.raw.main_api_resource import DixaMainApiResource
from dixa_assets.exports_api import to_epoch_ms
from dixa_assets.settings import Settings
from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets_tests import reliability_report

# A local S3-compatible server: fixtures s3_server and s3_lake_url.
pytest_plugins = ["dixa_assets_tests.s3_server", "dixa_assets_tests.main_api_fixtures"]

# A distinctive token, so tests can prove it never lands in logs, metadata or files.
TOKEN = "sim-token-7f3a9c1e5b"
# The simulator's clock: mid-March 2025, so early-March days are settled.
NOW_MS = int(datetime(2025, 3, 20, 12, tzinfo=UTC).timestamp() * 1000)
# The real API's limit (10 requests a minute, no burst) 60 times faster, for the simulator, and
# a client pace under it: paced exactly at a strict limit, whether a request is refused depends
# on which of two requests the machine delayed more (tens of ms under load). An unpaced client's
# first two requests go out at once and the second is refused.
REAL_LIMIT_SPED_UP = {"requests_per_minute": 600, "rate_limit_burst": 1}  # one each 0.1 s
PACE_UNDER_IT = 200  # one request each 0.3 s: 0.2 s of headroom


@pytest.fixture(scope="session")
def organisation() -> Organisation:
    return Organisation(
        seed=3,
        conversations_per_day=24,
        messages_per_conversation=3.0,
        history_start=date(2025, 1, 1),
        now_ms=NOW_MS,
    )


@pytest.fixture(scope="session")
def simulator_server(organisation: Organisation) -> Iterator[SimulatorServer]:
    with SimulatorServer(organisation, token=TOKEN) as server:
        yield server


@pytest.fixture
def simulator(simulator_server: SimulatorServer) -> Iterator[SimulatorServer]:
    """The shared simulator, reset: no faults, an empty log, the clock at NOW_MS."""
    simulator_server.faults.clear()
    simulator_server.reset_log()
    simulator_server.organisation.set_now(NOW_MS)
    yield simulator_server
    simulator_server.faults.clear()
    simulator_server.organisation.set_now(NOW_MS)


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIXA_API_TOKEN", TOKEN)


@pytest.fixture
def settings(tmp_path, simulator: SimulatorServer, token_env: None) -> Settings:
    return make_settings(tmp_path, simulator)


def make_settings(
    tmp_path, simulator: SimulatorServer, timezone: str = "UTC", data_dir: str | None = None
) -> Settings:
    data = Path(data_dir) if data_dir else tmp_path / "data"
    return Settings(
        start_date="2025-01-01",
        timezone=timezone,
        data_dir=str(data),
        duckdb_path=str(data / "warehouse.duckdb"),
        api_base_url=simulator.url,
        requests_per_minute=0,
        main_api_base_url=simulator.url + "/v1",
    )


def run_assets(
    settings: Settings,
    selection: Sequence[str],
    first: str | None,
    last: str | None = None,
    *,
    instance: DagsterInstance | None = None,
    raise_on_error: bool = True,
    token: str = TOKEN,
    configured_client: bool = False,
    run_config: dict | None = None,
    **client_overrides: object,
) -> ExecuteInProcessResult:
    """Materialize ``selection`` for one partition, or the range ``first...last`` in one run
    (``first=None``: unpartitioned assets). The selected assets' checks run too. The client is
    unpaced with short backoffs, unless ``configured_client`` keeps the definitions' own (the
    token from DIXA_API_TOKEN, the pace from the settings)."""
    defs: Definitions = build_definitions(settings)
    resources = dict(defs.resources or {})
    if not configured_client:
        resources["dixa"] = DixaExportsResource(
            api_token=token,
            base_url=settings.api_base_url,
            requests_per_minute=0,
            backoff_seconds=0.05,
            **client_overrides,
        )
        # Paced at the simulator's real main-API limit (10/s), as in production.
        resources["dixa_main"] = DixaMainApiResource(
            api_token=token, base_url=settings.main_api_base_url, backoff_seconds=0.05
        )
    tags = {}
    partition_key = first
    if last is not None and last != first:
        tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
        partition_key = None
    own_instance = instance is None
    instance = instance or DagsterInstance.ephemeral()
    try:
        # Not the raw days' freshness checks: their sensor runs them, on the wall clock.
        checks = [
            c
            for c in defs.asset_checks or []
            if all(k.name != "freshness_check" for k in c.check_keys)
        ]
        return materialize(
            [*(defs.assets or []), *checks],
            selection=list(selection),
            partition_key=partition_key,
            tags=tags,
            resources=resources,
            instance=instance,
            raise_on_error=raise_on_error,
            run_config=run_config,
        )
    finally:
        if own_instance:
            instance.dispose()  # in the thread that made it: SQLite objects are per thread


def day_ms(day: str, timezone: str = "UTC") -> tuple[int, int]:
    """The half-open window of a day in ``timezone``, in epoch ms."""
    start = datetime.combine(date.fromisoformat(day), time(), ZoneInfo(timezone))
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), ZoneInfo(timezone))
    return to_epoch_ms(start), to_epoch_ms(end)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a test process of pytest-xdist's, hand the reliability figures to the main one."""
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["reliability"] = dict(reliability_report.FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the main process: add up what each test process collected."""
    reliability_report.FIGURES.update(getattr(node, "workeroutput", {}).get("reliability", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the fault-injection tests survived (zero lost, zero duplicated)."""
    figures = reliability_report.lines()
    if figures:
        terminalreporter.write_sep("-", "reliability under injected faults")
        for line in figures:
            terminalreporter.write_line(line)
