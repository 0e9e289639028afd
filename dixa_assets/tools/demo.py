"""The README's first command: the main job end to end against the simulator.

Starts the Dixa Exports simulator on loopback, materializes the last week and today so far of
both raw assets through Dagster (``dg launch``: one single-run backfill, recorded in the demo's
own instance, ``.demo/dagster_home``, so demo mode shows it afterwards), builds the DuckDB
tables, then prints where the data is, a per-day summary, whether what was stored equals the
simulator's ground truth, and every check's result (and why, for one that warns).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pyarrow as pa
from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
)

from dixa_assets.definitions import build_definitions
from dixa_assets.exports_api import Window
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.settings import Settings
from dixa_assets.warehouse.database import qualified_name, use_schema

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_DIR = PROJECT_ROOT / ".demo"
RAW_ASSETS = ("dixa_conversations", "dixa_messages")
DAILY_TABLES = ("conversation_messages", "daily_support_metrics", "daily_team_metrics")
ACTIVITY_LOG = ("dixa_activity_log",)
DIMENSIONS = ("dixa_agents", "dixa_teams", "dixa_queues", "dixa_tags")
WHOLE_TABLES = ("conversations", "conversation_events", "conversation_handling")
# The real Exports API's limit, which the simulator enforces and the client keeps to.
SIMULATOR_REQUESTS_PER_MINUTE = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--days", type=int, default=7, help="how many complete days to fetch, besides today"
    )
    parser.add_argument(
        "--state-dir",
        default=DEMO_DIR,
        help="where the demo keeps its Dagster instance, lake and DuckDB file "
        "(default: .demo in the project; never $DAGSTER_HOME or $DIXA_DATA_DIR)",
    )
    args = parser.parse_args(argv)

    state = demo_state(args.state_dir)
    settings, home = state.settings(), state.home
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    first, last = today - timedelta(days=args.days), today
    token = secrets.token_urlsafe(24)  # a fresh token for this simulator only; never printed

    with running_simulator(token) as url:
        env = {
            **os.environ,
            **state.env(),
            **simulator_env(url, token),
            "DIXA_START_DATE": min(date.fromisoformat(settings.start_date), first).isoformat(),
        }
        log_path = home / "demo-materialize.log"
        days = f"{first}...{last}"
        with open(log_path, "w") as log:
            materialize(env, log, "the raw exports", RAW_ASSETS, days)
            materialize(env, log, "the activity log", ACTIVITY_LOG, days)
            materialize(env, log, "the dimensions", DIMENSIONS)
            materialize(env, log, "the whole tables", WHOLE_TABLES)
            materialize(env, log, "the daily tables", DAILY_TABLES, days)
        print(f"Runs succeeded (log: {log_path})")
        with DagsterInstance.from_config(str(home)) as instance:
            summarize(settings, instance, url, first, last)
            summarize_tables(settings)
            report_checks(check_results(settings, instance))
    print(f"\nExplore them in the Dagster UI: .venv/bin/python -m dixa_assets.dev  ({state.root})")
    return 0


def materialize(
    env: dict[str, str], log: IO[str], what: str, assets: Sequence[str], days: str | None = None
) -> None:
    """One `dg launch` run (the README's command line), recorded in the instance so the UI shows
    it later."""
    print(f"Materializing {what} ({', '.join(assets)}){f' for {days}' if days else ''}")
    command = [str(Path(sys.executable).with_name("dg")), "launch", "--assets", ",".join(assets)]
    if days:
        command += ["--partition-range", days]
    log.flush()
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        log.flush()
        print(Path(log.name).read_text()[-4000:])
        raise SystemExit(f"The Dagster run failed; its full log is in {log.name}")


TEAM_SUMMARY = """
    SELECT coalesce(team_name, '(no team)'), sum(conversations_created)::BIGINT,
           sum(new_contacts)::BIGINT,
           sum(conversations_transferred) / sum(conversations_created),
           sum(conversations_reopened) / sum(conversations_created)
    FROM dixa.daily_team_metrics GROUP BY ALL ORDER BY 1
"""


def summarize_tables(settings: Settings) -> None:
    """A few of the numbers a support lead asks for, from the DuckDB tables."""
    query = """
        SELECT day, sum(conversations_created)::BIGINT AS created,
               sum(conversations_closed)::BIGINT AS closed,
               sum(inbound_messages)::BIGINT AS inbound,
               sum(outbound_messages)::BIGINT AS outbound,
               round(median(first_response_seconds_median) / 60, 1) AS first_response_min
        FROM daily_support_metrics GROUP BY day ORDER BY day
    """
    database = settings.duckdb_path
    with duckdb.connect(database, read_only=True) as con:
        use_schema(con, create=False)
        ((conversations,),) = con.sql("SELECT count(*) FROM conversations").fetchall()
        print(f"\nDuckDB: {Path(database).absolute()}")
        print(
            f"{qualified_name(database, 'conversations')}: {conversations} conversations, "
            "latest version of each"
        )
        print(f"{qualified_name(database, 'daily_support_metrics')} (all channels;")
        print("first response: median of the channel/queue medians, minutes):")
        print(con.sql(query))
        teams = con.execute(TEAM_SUMMARY).fetchall()
    print("dixa.daily_team_metrics (all days, by team at handling time):")
    print(f"{'team':<16}{'created':>9}{'new contacts':>14}{'transferred':>13}{'reopened':>10}")
    for team, created, new, transferred, reopened in teams:
        print(f"{team:<16}{created:>9}{new:>14}{transferred:>13.1%}{reopened:>10.1%}")


def summarize(
    settings: Settings, instance: DagsterInstance, url: str, first: date, last: date
) -> None:
    """Per-day counts from the lake, compared with the simulator's ground truth.

    Today is compared up to when it was fetched (``fetched_until``). A conversations day may
    also hold an earlier version of a conversation updated since (a later run found it in a
    later day): that is the lake keeping what it fetched, checked by its id being updated since.
    """
    lake = ParquetLake(settings.data_dir)
    data = lake.root.absolute()
    tz = ZoneInfo(settings.timezone)
    print(f"\nData: {data}/<asset>/<day>.parquet (timezone {settings.timezone})")
    print(f"{'day':<12}{'conversations':>15}{'messages':>10}  ground truth")
    all_match = True
    day = first
    while day <= last:
        start = datetime.combine(day, datetime.min.time(), tz)
        window = Window.between(start, start + timedelta(days=1))
        until = min(window.end_ms, fetched_until_ms(instance, day.isoformat()))
        fetched = Window(window.start_ms, until)
        stored = {asset: stored_ids(lake, asset, day) for asset in RAW_ASSETS}
        conversations = truth_ids(url, "conversations", fetched, "updated_at")
        updated_since = truth_ids(url, "conversations", Window(until, 2**62), "updated_at")
        kept = stored["dixa_conversations"] - conversations
        match = (
            conversations <= stored["dixa_conversations"]
            and kept <= updated_since
            and stored["dixa_messages"] == truth_ids(url, "messages", fetched)
        )
        all_match &= match
        note = "equal" if match else "DIFFERENT"
        if kept:
            note += f" (+{len(kept)} earlier version(s) of conversations updated since)"
        if until < window.end_ms:
            note += f", day so far (fetched until {datetime.fromtimestamp(until / 1000, tz):%H:%M})"
        print(
            f"{day.isoformat():<12}{len(stored['dixa_conversations']):>15}"
            f"{len(stored['dixa_messages']):>10}  {note}"
        )
        day += timedelta(days=1)
    print("\nEvery stored id equals the simulator's ground truth." if all_match else "MISMATCH")
    if not all_match:
        raise SystemExit(1)


def fetched_until_ms(instance: DagsterInstance, day: str) -> int:
    """How far the latest materialization of the day's conversations reached."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(RAW_ASSETS[0]), asset_partitions=[day]), limit=1
    ).records
    return int(records[0].asset_materialization.metadata["fetched_until"].value * 1000)


def check_results(settings: Settings, instance: DagsterInstance) -> dict[AssetCheckKey, Any]:
    """Each check's latest evaluation (None where it has not run yet), in a stable order."""
    keys = sorted(
        build_definitions(settings).resolve_asset_graph().asset_check_keys,
        key=lambda k: (k.asset_key.to_user_string(), k.name),
    )
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    results = {}
    for key in keys:
        record = latest.get(key)
        event = record.event.dagster_event if record and record.event else None
        evaluated = (
            event is not None and event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        )
        results[key] = event.asset_check_evaluation_data if evaluated else None  # or planned
    return results


def report_checks(results: dict[AssetCheckKey, Any]) -> None:
    """Every check's latest result; for one that did not pass, what it says."""
    print("\nChecks (latest result of each):")
    for key, evaluation in results.items():
        if evaluation is None:  # not run yet (the freshness checks run on their sensor's clock)
            continue
        status = "passed" if evaluation.passed else evaluation.severity.value.lower()
        line = f"  {status:<8}{key.asset_key.to_user_string()} {key.name}"
        if not evaluation.passed:
            line += f": {evaluation.description or 'see the check in the UI'}"
        print(line)


def stored_ids(lake: ParquetLake, asset: str, day: date) -> set[str]:
    ids = lake.read(asset, [day.isoformat()]).column("id").cast(pa.string())
    return set(ids.to_pylist())


def truth_ids(url: str, kind: str, window: Window, field: str | None = None) -> set[str]:
    params = {"start_ms": window.start_ms, "end_ms": window.end_ms}
    if field:
        params["field"] = field
    response = httpx.get(f"{url}/_sim/truth/{kind}", params=params, timeout=60)
    response.raise_for_status()
    return {str(i) for i in response.json()}


@dataclass(frozen=True)
class DemoState:
    """Where the demo and demo mode keep everything: ``<root>/dagster_home`` (the instance, with
    the repo's dagster.yaml), ``<root>/data`` (the lake) and ``<root>/data/warehouse.duckdb``.

    Never ``$DAGSTER_HOME``, ``$DIXA_DATA_DIR`` or ``$DIXA_DUCKDB_PATH``: exported for real work,
    they could name a real lake and instance, which simulated runs must not touch.
    """

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def env(self) -> dict[str, str]:
        return {
            "DAGSTER_HOME": str(self.home),
            "DIXA_DATA_DIR": str(self.data),
            "DIXA_DUCKDB_PATH": str(self.data / "warehouse.duckdb"),
        }

    def settings(self) -> Settings:
        """The settings from the environment, but for the places, which are the demo's own."""
        env = self.env()
        return dataclasses.replace(
            Settings.from_env(),
            data_dir=env["DIXA_DATA_DIR"],
            duckdb_path=env["DIXA_DUCKDB_PATH"],
        )


def demo_state(root: str | os.PathLike[str] = DEMO_DIR) -> DemoState:
    """The demo's folder, made ready (an existing dagster.yaml there is kept); says which
    exported variables it leaves alone."""
    state = DemoState(Path(root).resolve())
    state.home.mkdir(parents=True, exist_ok=True)
    if not (state.home / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", state.home / "dagster.yaml")
    for name, value in state.env().items():
        if os.environ.get(name) and os.environ[name] != value:
            print(f"Ignoring {name}={os.environ[name]}: the demo keeps its state in {state.root}")
    return state


@contextmanager
def running_simulator(token: str) -> Iterator[str]:
    """The simulator in a child process on a free loopback port, limited to the real API's
    request rate; yields its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dixa_assets.simulator",
            "--port",
            "0",
            # One argument: a token_urlsafe token starts with "-" one time in 64, which argparse
            # would take for an option.
            f"--token={token}",
            "--requests-per-minute",
            str(SIMULATOR_REQUESTS_PER_MINUTE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the simulator did not start: {line!r}")
        url = line.rsplit(" ", 1)[-1].strip()
        print(f"Dixa Exports simulator running at {url}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def simulator_env(url: str, token: str) -> dict[str, str]:
    """The environment that points the code location at the simulator, paced at its limit so
    runs never see a 429."""
    return {
        "DIXA_API_BASE_URL": url,
        "DIXA_MAIN_API_BASE_URL": f"{url}/v1",
        "DIXA_API_TOKEN": token,
        "DIXA_REQUESTS_PER_MINUTE": str(SIMULATOR_REQUESTS_PER_MINUTE),
    }


if __name__ == "__main__":
    sys.exit(main())
