"""The project in the Dagster UI as a user sees it, driven through headless Chromium.

Starts demo mode (``python -m dixa_assets.dev``: the simulator, then ``dagster dev`` with the
schedule and sensors on) on free loopback ports, and, clicking like a user: opens the asset
graph, materializes one day of ``dixa_conversations``, backfills three days of
``dixa_messages``, and once the runs have succeeded checks what the pages show: group and asset
names, row counts equal to the files', each day's own preview, the partitions bar, the metadata
plots and the checks. GraphQL is only read, to wait for runs. Screenshots are kept in
``test-artifacts/ui/``.

Needs Debian's ``chromium`` and the ``playwright`` package (no browser download): without them
the test fails in CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import pytest
import yaml

from dixa_assets.tools.demo import PROJECT_ROOT
from dixa_assets.tools.dev import LOG_NAME
from dixa_assets.tools.dev_graphql import graphql

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"
STARTUP_TIMEOUT_S = 90.0
RUN_TIMEOUT_S = 90.0
UI_TIMEOUT_MS = 30_000
SETTLE_MS = 500
COMMUNITY_DIALOG_WAIT_MS = 5_000
LOOKBACK_DAYS = 3

RUNS_QUERY = """
query Runs {
  runsOrError {
    __typename
    ... on Runs { results { runId status assetSelection { path } tags { key value } } }
  }
}
"""


@dataclass(frozen=True)
class DevMode:
    """A running ``python -m dixa_assets.dev``."""

    ui: str
    data_dir: Path
    catch_up_run_id: str
    today: date


def _require_browser() -> None:
    """Fail in CI, where a missing browser is a broken setup; skip on a laptop without one."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if missing:
        message = f"The browser test needs {' and '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def dev_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevMode]:
    """Demo mode in a fresh instance and lake; its output and, once it has stopped, Dagster's
    log are kept in ``test-artifacts/ui/`` next to the screenshots."""
    _require_browser()  # no point in starting Dagster for a test that cannot run
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.iterdir():
        old.unlink()
    root = tmp_path_factory.mktemp("dev-mode")
    today = datetime.now(UTC).date()
    port = _free_port()
    env = {
        **os.environ,
        "DIXA_START_DATE": (today - timedelta(days=20)).isoformat(),
        "DIXA_TIMEZONE": "UTC",
        "DIXA_LOOKBACK_DAYS": str(LOOKBACK_DAYS),
    }
    env.pop("DIXA_DUCKDB_PATH", None)
    log_path = ARTIFACTS / "demo-mode.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            # Its own state folder: <root>/dagster_home and <root>/data.
            [
                sys.executable,
                "-m",
                "dixa_assets.dev",
                "--port",
                str(port),
                "--state-dir",
                str(root),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ui = f"http://127.0.0.1:{port}"
        output = _wait_for_line(process, log_path, f"Dagster UI: {ui}")
        watch = re.search(rf"Watch it: {re.escape(ui)}/runs/(\S+)", output)
        assert watch, f"demo mode launched no catch-up run:\n{output}"
        yield DevMode(ui, root / "data", watch.group(1), today)
    finally:
        process.send_signal(signal.SIGTERM)  # demo mode's clean shutdown, as on Ctrl-C
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        dagster_log = root / "dagster_home" / LOG_NAME
        if dagster_log.exists():  # the webserver's, the daemon's and every run's log
            shutil.copy(dagster_log, ARTIFACTS / LOG_NAME)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    context.close()


@pytest.mark.timeout(240)
def test_a_user_materializes_a_day_and_a_backfill_and_sees_the_results(
    dev_mode: DevMode, page: Page
) -> None:
    from playwright.sync_api import expect

    ui, today = dev_mode.ui, dev_mode.today
    one_day = (today - timedelta(days=10)).isoformat()
    backfill = [(today - timedelta(days=n)).isoformat() for n in (8, 7, 6)]

    # The asset graph, with both groups.
    page.goto(f"{ui}/asset-groups")
    for group in ("dixa_raw", "dixa_modelled"):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    _skip_community_dialog(page)
    _shot(page, "01-asset-graph")

    # Three days of messages as a backfill (one run, by the single-run backfill policy), then
    # one day of conversations, each launched from the asset's page. The backfill goes first:
    # the daemon picks backfills up only every 30 s.
    earlier = _run_ids(ui)
    range_text = f"[{backfill[0]}...{backfill[-1]}]"
    _launch_from_asset_page(page, ui, "dixa_messages", range_text, "Launch backfill", "02-range")
    _launch_from_asset_page(page, ui, "dixa_conversations", one_day, "Launch 1 run", "03-day")

    # The raw group: its assets, their kinds, and the modelled asset downstream.
    page.goto(f"{ui}/locations/dixa_assets/asset-groups/dixa_raw")
    for asset in ("dixa_conversations", "dixa_messages", "conversations"):
        expect(page.get_by_text(asset, exact=True).first).to_be_visible()
    expect(page.get_by_text("Parquet").first).to_be_visible()
    _shot(page, "04-raw-group")

    # Demo mode's own run (the schedule's latest days) brings data without anyone clicking.
    _wait_for_success(ui, lambda run: run["runId"] == dev_mode.catch_up_run_id, "catch-up run")
    _wait_for_success(
        ui,
        lambda run: (
            run["runId"] not in earlier
            and _selects(run, "dixa_conversations")
            and _tags(run).get("dagster/partition") == one_day
        ),
        f"dixa_conversations {one_day}",
    )
    _wait_for_success(
        ui,
        lambda run: (
            run["runId"] not in earlier
            and _selects(run, "dixa_messages")
            and _tags(run).get("dagster/asset_partition_range_start") == backfill[0]
            and _tags(run).get("dagster/asset_partition_range_end") == backfill[-1]
        ),
        f"dixa_messages {range_text}",
    )

    # The partitions bar and list: the catch-up days (the lookback days and today) and the
    # backfilled days are materialized.
    page.goto(f"{ui}/assets/dixa_messages?view=partitions")
    caught_up = LOOKBACK_DAYS + 1
    expect(page.get_by_text(f"Materialized ({caught_up + len(backfill)})")).to_be_visible()
    _shot(page, "05-partitions")

    # One backfilled day: its row count is its file's, and its preview shows its own rows.
    middle = backfill[1]
    page.get_by_text(middle, exact=True).first.click()
    row_count = page.locator("tr", has=page.get_by_text("dagster/row_count", exact=True)).first
    rows = pq.read_metadata(dev_mode.data_dir / "dixa_messages" / f"{middle}.parquet").num_rows
    assert rows > 0
    expect(row_count).to_contain_text(str(rows))
    _shot(page, "06-partition-detail")
    preview_row = page.locator("tr", has=page.get_by_text("preview", exact=True)).first
    preview_row.get_by_text("[Show Markdown]").click()
    preview = page.get_by_role("dialog")
    expect(preview).to_contain_text(f"{middle} ")
    assert backfill[0] not in preview.inner_text()
    _shot(page, "07-partition-preview")
    page.keyboard.press("Escape")
    expect(preview).to_be_hidden()

    # The overview: row count, owner, columns, and numeric metadata plotted over partitions.
    page.goto(f"{ui}/assets/dixa_messages")
    for text in ("Row count", "support-data", "created_at_ts"):
        expect(page.get_by_text(text, exact=True).first).to_be_visible()
    _shot(page, "08-asset-overview")
    page.get_by_role("button", name="Plots").click()
    plot_title = page.get_by_text("run_request_seconds", exact=True).first
    expect(plot_title).to_be_visible()
    expect(page.get_by_role("button", name="Partitions")).to_be_visible()  # x axis: days
    expect(page.locator("canvas").first).to_be_visible()
    plot_title.scroll_into_view_if_needed()
    _shot(page, "09-metadata-plots")

    # The latest materialization's details: request metrics and the preview table.
    page.goto(f"{ui}/assets/dixa_messages?view=events")
    for key in ("run_requests", "run_request_seconds", "run_rows", "preview"):
        expect(page.get_by_text(key, exact=True).first).to_be_visible()
    _shot(page, "10-materialization")

    # The checks that ran with the materializations.
    page.goto(f"{ui}/assets/dixa_conversations?view=checks")
    for check in ("unique_ids", "required_fields", "inside_partition_window"):
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
    _shot(page, "11-checks")

    page.goto(f"{ui}/runs")
    expect(page.get_by_text("dixa_refresh_schedule").first).to_be_visible()
    _shot(page, "12-runs")


def _skip_community_dialog(page: Page) -> None:
    """Dismiss Dagster's "Join the Dagster community" dialog as a newcomer does, if it comes.

    The UI opens it a second after the first page on 127.0.0.1 of an instance that has not
    shown it yet (unless the instance's ``nux`` setting is off); left open, it hides the page
    from the clicks that follow.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    # Demo mode's instance copies the repo's dagster.yaml: with nux off, no dialog will come.
    if yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text()).get("nux") == {"enabled": False}:
        return
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=COMMUNITY_DIALOG_WAIT_MS)
    except PlaywrightTimeoutError:
        return
    _shot(page, "00-community-dialog")
    skip.click()
    skip.wait_for(state="hidden")


def _launch_from_asset_page(
    page: Page, ui: str, asset: str, selection: str, button: str, shot: str
) -> None:
    """Open the asset's page, choose partitions in its Materialize dialog and launch."""
    from playwright.sync_api import expect

    page.goto(f"{ui}/assets/{asset}")
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog")
    partitions = dialog.locator("input[type=text]").first
    partitions.fill(selection)
    partitions.press("Enter")
    launch = dialog.get_by_role("button", name=button)
    expect(launch).to_be_enabled()
    _shot(page, shot)
    launch.click()
    expect(dialog).to_be_hidden()


def _wait_for_success(ui: str, matches: Callable[[Mapping[str, Any]], bool], what: str) -> None:
    """Poll the runs until one ``matches`` and succeeds; fail at once if it fails."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    status = "not launched"
    while time.monotonic() < deadline:
        found = [run for run in _runs(ui) if matches(run)]
        if found:
            status = found[0]["status"]
            if status == "SUCCESS":
                return
            assert status not in ("FAILURE", "CANCELED"), (
                f"{what}: run {found[0]['runId']} {status}"
            )
        time.sleep(0.25)
    pytest.fail(f"{what}: still {status} after {RUN_TIMEOUT_S:.0f} s")


def _runs(ui: str) -> list[dict[str, Any]]:
    return graphql(ui, RUNS_QUERY)["runsOrError"]["results"]


def _run_ids(ui: str) -> set[str]:
    return {run["runId"] for run in _runs(ui)}


def _selects(run: Mapping[str, Any], asset: str) -> bool:
    return any(key["path"] == [asset] for key in run["assetSelection"] or [])


def _tags(run: Mapping[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def _shot(page: Page, name: str) -> None:
    # The UI polls for live data without end, so "network idle" never comes: let it paint.
    page.wait_for_timeout(SETTLE_MS)
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def _wait_for_line(process: subprocess.Popen[bytes], log_path: Path, line: str) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        output = log_path.read_text()
        if line in output:
            return output
        if process.poll() is not None:
            pytest.fail(f"demo mode exited with {process.returncode}:\n{output[-4000:]}")
        time.sleep(0.5)
    pytest.fail(f"demo mode printed no {line!r} in {STARTUP_TIMEOUT_S:.0f} s:\n{output[-4000:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
