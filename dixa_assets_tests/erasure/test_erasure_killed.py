"""A real process running the erasure, killed with SIGKILL at its most delicate moments, leaves
every file whole; the next run finishes the job.

The erasure runs in a child process. The child wraps one function of the procedure so that it
kills itself (SIGKILL, no cleanup) at a precise point: in the middle of writing a raw day (after
the temporary file is written, before the rename), inside the database transaction, and between
the transaction's commit and the database file's replacement.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dixa_assets.erasure.database import pending_marker
from dixa_assets.erasure.procedure import erase, leftovers
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import day_ms, run_assets
from dixa_assets_tests.erasure.support import (
    LAST,
    START,
    duckdb_values,
    erasure_world,
    land,
    parquet_values,
    strings_in,
)

CHILD = """
import os, signal, sys
from dixa_assets.lake import parquet as lake_module
from dixa_assets.erasure import database, procedure
from dixa_assets.lake.parquet import ParquetLake

data_dir, database_path, point = sys.argv[1:4]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "raw_write":
    real_write_table = lake_module.pq.write_table
    writes = []
    def write_then_die(table, sink, **kwargs):
        real_write_table(table, sink, **kwargs)
        writes.append(1)
        if len(writes) == 3:  # the third day file: its temporary file is complete, not renamed
            die()
    lake_module.pq.write_table = write_then_die
elif point == "transaction":
    database.record_audit = die
elif point == "file_rewrite":
    real_replace = os.replace
    def replace_unless_database(source, target):
        if str(target) == database_path:  # the copy is complete, the old file not replaced yet
            die()
        real_replace(source, target)
    os.replace = replace_unless_database
procedure.erase(ParquetLake(data_dir), database_path, run_id="killed")
print("not killed")
"""


@pytest.fixture(scope="module")
def anonymized_lake(tmp_path_factory):
    """Raw days and tables holding three end users' data after Dixa anonymized them."""
    with erasure_world(tmp_path_factory, "killed") as (org, _, instance, settings):
        land(settings, instance, START, "2025-03-06")
        stored = org.conversations_created(day_ms(START)[0], day_ms("2025-03-05")[0])
        for user in sorted({c["requester_id"] for c in stored if c.get("requester_email")})[:4]:
            org.anonymizations.add(user, day_ms(LAST)[0] + 3_600_000)
        org.set_now(day_ms("2025-03-08")[0])
        land(settings, instance, LAST, LAST)
        assert run_assets(settings, ["conversations"], None, instance=instance).success
        daily = ["conversation_messages", "daily_support_metrics"]
        assert run_assets(settings, daily, START, LAST, instance=instance).success
        truth = org.anonymizations.truth(day_ms(START)[0], day_ms(LAST)[1] - 1)
    return settings, truth


@pytest.mark.parametrize("point", ["raw_write", "transaction", "file_rewrite"])
def test_killed_erasure_leaves_files_whole_and_the_next_run_completes(
    anonymized_lake, tmp_path, point
):
    settings, truth = anonymized_lake
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    database = str(data / Path(settings.duckdb_path).name)
    lake = ParquetLake(data)
    assert truth.strings & parquet_values_of(data)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), database, point],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    # Every file is whole: each day and the database open and read in full.
    for path in sorted(data.glob("dixa_*/*.parquet")):
        pq.read_table(path)
    with duckdb.connect(database) as con:
        con.execute("SELECT count(*) FROM dixa.conversation_messages").fetchall()
    if point == "file_rewrite":
        assert pending_marker(database).exists()
    left = leftovers(lake, database)
    assert any(left.values()), "killed before finishing: something is left to do"

    report = erase(lake, database, run_id="after-the-kill")
    assert set(leftovers(lake, database).values()) == {0}
    assert report.erased_conversations or report.database_rewritten
    assert not truth.strings & parquet_values_of(data)
    assert not truth.strings & duckdb_values_of(database)
    stored = [p for p in data.rglob("*") if p.is_file()]
    assert {str(p): [s for s in truth.strings if s.encode() in p.read_bytes()] for p in stored} == {
        str(p): [] for p in stored
    }
    with duckdb.connect(database, read_only=True) as con:
        audited = {
            row[0] for row in con.execute("SELECT conversation_id FROM dixa.erasures").fetchall()
        }
    assert truth.conversation_ids <= audited


def parquet_values_of(data: Path) -> set[str]:
    return parquet_values(_Where(str(data), ""))


def duckdb_values_of(database: str) -> set[str]:
    return duckdb_values(_Where("", database))


class _Where:
    def __init__(self, data_dir: str, duckdb_path: str) -> None:
        self.data_dir, self.duckdb_path = data_dir, duckdb_path


def test_the_erasure_works_on_a_lake_on_s3(anonymized_lake, tmp_path, s3_lake_url):
    settings, truth = anonymized_lake
    local, remote = ParquetLake(settings.data_dir), ParquetLake(s3_lake_url)
    for asset in ("dixa_conversations", "dixa_messages"):
        for day in local.partitions(asset):
            remote.write(asset, day, local.read(asset, [day]))
    database = str(tmp_path / "warehouse.duckdb")
    shutil.copy(settings.duckdb_path, database)
    erase(remote, database, run_id="on-s3")
    assert set(leftovers(remote, database).values()) == {0}
    left = set()
    for asset in ("dixa_conversations", "dixa_messages"):
        for row in remote.read(asset, remote.partitions(asset)).to_pylist():
            left |= truth.strings & set(strings_in(list(row.values())))
    assert left == set()
    assert not truth.strings & duckdb_values_of(database)


def test_the_check_finds_personal_data_put_back_after_an_erasure(anonymized_lake, tmp_path):
    """What the blocking check reads: a day file restored from before the erasure, or a name
    written back into a table, is found."""
    settings, truth = anonymized_lake
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    database = str(data / Path(settings.duckdb_path).name)
    lake = ParquetLake(data)
    erase(lake, database, run_id="first")
    assert set(leftovers(lake, database).values()) == {0}

    before = ParquetLake(settings.data_dir)
    day = next(
        d
        for d in before.partitions("dixa_messages")
        if truth.message_ids & set(before.read("dixa_messages", [d]).column("id").to_pylist())
    )
    lake.write("dixa_messages", day, before.read("dixa_messages", [day]))
    with duckdb.connect(database) as con:
        con.execute(
            "UPDATE dixa.conversations SET requester_name = 'Put Back' WHERE id = $id",
            {"id": min(truth.conversation_ids)},
        )
    left = leftovers(lake, database)
    assert left["dixa_messages"] > 0 and left["dixa.conversations"] == 1
    assert left["dixa_conversations"] == 0 and left["dixa.conversation_messages"] == 0
