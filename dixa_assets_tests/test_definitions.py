"""The code location loads and validates the way users and `dg` load it: without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, EnvVar

from dixa_assets.definitions import build_definitions
from dixa_assets.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "dagster"), "definitions", "validate", "-m", "dixa_assets.definitions"],
        [str(BIN / "dg"), "check", "defs"],
    ],
    ids=["dagster-validate", "dg-check-defs"],
)
def test_definitions_validate_without_a_token_or_dagster_home(command):
    """As a new user runs them from the project folder, before setting anything."""
    env = {k: v for k, v in os.environ.items() if k not in ("DIXA_API_TOKEN", "DAGSTER_HOME")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_raw_assets_are_described_for_the_ui():
    defs = build_definitions(Settings.from_env())
    graph = defs.resolve_asset_graph()
    for name in ("dixa_conversations", "dixa_messages"):
        node = graph.get(AssetKey(name))
        assert node.group_name == "dixa_raw"
        assert node.description and node.owners == ["team:support-data"]
        assert {"pandas", "parquet"} <= set(node.kinds)
        assert node.metadata["dagster/column_schema"].columns
        assert node.pools == {"dixa_exports_api"}


def test_a_bad_timezone_or_start_date_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DIXA_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="IANA"):
        Settings.from_env()
    monkeypatch.setenv("DIXA_TIMEZONE", "UTC")
    monkeypatch.setenv("DIXA_START_DATE", "01/02/2025")
    with pytest.raises(ValueError, match="yyyy-mm-dd"):
        Settings.from_env()


def test_a_lake_url_that_is_neither_a_folder_nor_s3_fails_when_the_definitions_load(monkeypatch):
    monkeypatch.setenv("DIXA_DATA_DIR", "gs://bucket/lake")
    monkeypatch.setenv("DIXA_DUCKDB_PATH", "/tmp/unused.duckdb")
    with pytest.raises(ValueError, match="DIXA_DATA_DIR must be a local folder or an s3:// URL"):
        build_definitions(Settings.from_env())


def test_the_documented_defaults_and_each_variable_reach_the_definitions(monkeypatch):
    """The README's configuration table, variable by variable."""
    for name in [name for name in os.environ if name.startswith("DIXA_")]:
        monkeypatch.delenv(name)
    assert Settings.from_env() == Settings(
        start_date="2025-01-01",
        timezone="UTC",
        data_dir="./data",
        duckdb_path=str(Path("data/warehouse.duckdb")),
        api_base_url="https://exports.dixa.io",
        requests_per_minute=10,
        lookback_days=3,
        refresh_minutes=60,
        main_api_base_url="https://dev.dixa.io/v1",
    )
    monkeypatch.setenv("DIXA_DATA_DIR", "s3://bucket/lake")
    assert Settings.from_env().duckdb_path == "warehouse.duckdb"  # beside an S3 lake: local
    given = {
        "DIXA_API_BASE_URL": "http://127.0.0.1:9",
        "DIXA_DATA_DIR": "/srv/lake",
        "DIXA_DUCKDB_PATH": "/srv/db/dw.duckdb",
        "DIXA_START_DATE": "2024-06-01",
        "DIXA_TIMEZONE": "Europe/Copenhagen",
        "DIXA_REQUESTS_PER_MINUTE": "4",
        "DIXA_MAIN_API_BASE_URL": "http://127.0.0.1:9/v1",
    }
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    defs = build_definitions(Settings.from_env())
    dixa = defs.resources["dixa"]
    assert (dixa.base_url, dixa.requests_per_minute) == ("http://127.0.0.1:9", 4)
    # Unset, runs fail at their first step with one line naming the variable (not Dagster's
    # configuration error); set, it is read at run time, so the UI shows its name, not its value.
    main = defs.resources["dixa_main"]
    assert dixa.api_token == "" and main.api_token == ""  # both APIs' assets, the same way
    assert main.base_url == "http://127.0.0.1:9/v1" and main.requests_per_second == 10
    monkeypatch.setenv("DIXA_API_TOKEN", "a-token")
    with_token = build_definitions(Settings.from_env()).resources
    for resource in (with_token["dixa"], with_token["dixa_main"]):
        assert isinstance(resource.api_token, EnvVar)
        assert resource.api_token.env_var_name == "DIXA_API_TOKEN"
    lake = defs.resources["parquet_lake"]
    assert lake.base_dir == "/srv/lake"
    assert defs.resources["dixa_lake"].parquet_lake is lake  # the IO manager's lake is the same
    assert defs.resources["duckdb"].database == "/srv/db/dw.duckdb"
    days = defs.resolve_asset_graph().get(AssetKey("dixa_messages")).partitions_def
    assert (days.start.date().isoformat(), days.timezone) == ("2024-06-01", "Europe/Copenhagen")
    monkeypatch.setenv("DIXA_REQUESTS_PER_MINUTE", "ten")
    with pytest.raises(ValueError, match="DIXA_REQUESTS_PER_MINUTE"):
        Settings.from_env()


def test_the_daily_jobs_description_says_what_it_fetches(monkeypatch):
    """What the job selects and the days its schedules pick, from the definitions themselves."""
    monkeypatch.setenv("DIXA_LOOKBACK_DAYS", "5")
    defs = build_definitions(Settings.from_env())
    job = defs.resolve_job_def("dixa_daily_job")
    description = job.description or ""
    for key in job.asset_layer.asset_graph.get_all_asset_keys():
        assert key.to_user_string() in description
    assert "last 5 complete day(s)" in description and "today so far" in description


@pytest.mark.parametrize("load_definitions", [False, True])
def test_a_process_that_loaded_the_definitions_skips_the_last_collection_at_exit(
    load_definitions,
):
    # The last collection is 0.45 s of a one-asset `dagster asset materialize`. Without the
    # definitions, Python finalizes an object left in a reference cycle at exit; with them, it
    # does not (it never promised to).
    script = "\n".join(
        [
            "import dixa_assets.definitions" if load_definitions else "",
            "class Cycle:",
            "    def __del__(self):",
            "        print('finalized', flush=True)",
            "cycle = Cycle()",
            "cycle.me = cycle",
            "del cycle",
            "import gc; gc.disable()",  # so that only the collection at exit could find it
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert ("finalized" in done.stdout) is not load_definitions
