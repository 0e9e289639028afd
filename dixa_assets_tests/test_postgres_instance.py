"""The production instance configs, as shipped, run a real materialization with its history in a
real PostgreSQL server: a throwaway cluster that the test creates on a free loopback port.

deploy/k8s/dagster.yaml is loaded too: everything but its Kubernetes run launcher, which Dagster
builds only when a run is launched (this in-process run is not).

Needs PostgreSQL's server programs (Debian: ``apt-get install postgresql``, which .ci/run does);
skipped with the reason when they are missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from dixa_assets_tests.conftest import run_assets

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_FILES = [
    PROJECT_ROOT / "deploy" / "dagster-postgres.yaml",
    PROJECT_ROOT / "deploy" / "k8s" / "dagster.yaml",
]
DB_USER, DB_NAME = "dagster", "dagster"
# initdb and the server refuse to run as root; Debian's package creates this account.
UNPRIVILEGED_USER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    port: int

    def connect(self, dbname: str = DB_NAME) -> psycopg2.extensions.connection:
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, dbname=dbname)


def server_bin() -> Path:
    """The folder of initdb and pg_ctl: Debian keeps them off PATH, one folder per version."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version)
    on_path = shutil.which("initdb")
    found = [path.parent for path in debian] or ([Path(on_path).parent] if on_path else [])
    if not found or not (found[-1] / "pg_ctl").exists():
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql")
    return found[-1]


def _version(initdb: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin/initdb`` -> (15,): "9.6" must sort before "15"."""
    return tuple(int(part) for part in initdb.parents[1].name.split(".") if part.isdigit())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A new cluster (trust auth, loopback only, fsync off: it is thrown away) and its server."""
    bin_dir = server_bin()
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            pytest.skip(f"running as root and there is no {UNPRIVILEGED_USER!r} user for initdb")
        user = UNPRIVILEGED_USER
    # Not pytest's tmp_path: its parents are private to root and the server runs as `postgres`.
    work = Path(tempfile.mkdtemp(prefix="dixa-pg-"))
    data = work / "data"
    if user:
        shutil.chown(work, user)

    def run(*args: str) -> None:
        done = subprocess.run(args, capture_output=True, text=True, user=user, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr or done.stdout}")

    initdb, pg_ctl = str(bin_dir / "initdb"), str(bin_dir / "pg_ctl")
    port = free_port()
    try:
        run(initdb, "-D", str(data), "-U", DB_USER, "-A", "trust", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {work} -c fsync=off"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(work / "log"), "-w", "start")
        try:
            server = PostgresServer(port)
            with closing(server.connect("postgres")) as admin:
                admin.autocommit = True
                admin.cursor().execute(f"CREATE DATABASE {DB_NAME}")
            yield server
        finally:
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize(
    "instance_yaml", INSTANCE_FILES, ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_a_materialization_is_recorded_in_postgres(
    instance_yaml, postgres, settings, tmp_path, monkeypatch
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(instance_yaml, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_DB": DB_NAME,
        "DAGSTER_PG_USERNAME": DB_USER,
        "DAGSTER_PG_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)

    with DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        result = run_assets(settings, ["dixa_conversations"], "2025-03-03", instance=instance)
        assert result.success
        latest = instance.get_latest_materialization_event(AssetKey("dixa_conversations"))
        assert latest is not None and latest.run_id == result.run_id

    with closing(postgres.connect()) as db, db.cursor() as cursor:
        cursor.execute("SELECT status FROM runs WHERE run_id = %s", (result.run_id,))
        assert cursor.fetchall() == [(DagsterRunStatus.SUCCESS.value,)]
        cursor.execute(
            "SELECT partition FROM event_logs WHERE run_id = %s "
            "AND dagster_event_type = 'ASSET_MATERIALIZATION' AND asset_key = %s",
            (result.run_id, AssetKey("dixa_conversations").to_string()),
        )
        assert cursor.fetchall() == [("2025-03-03",)]
        # The API step took its pool's one slot from the database, where every machine sees it.
        cursor.execute("SELECT concurrency_key FROM concurrency_slots")
        assert cursor.fetchall() == [("dixa_exports_api",)]
