"""Every reader a user reaches for opens the lake as it is: pandas, polars, DuckDB, pyarrow.

Days land through a real Dagster run against the simulator. What each reader returns is compared
with the simulator's ground truth (ids, an integer column, timestamps, lists) and each column's
type is checked in the reader's own type system. Also: days written before a schema change, and
files of earlier versions of the project, rewritten by ``python -m dixa_assets.lake_rewrite``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from dagster import PartitionKeyRange, build_input_context

from dixa_assets.arrow.records import records_to_table
from dixa_assets.arrow.schemas import CONVERSATIONS, EXTRA, MESSAGES, TIMESTAMP_TYPE
from dixa_assets.defs.raw.io_manager import DixaLakeIOManager
from dixa_assets.defs.raw.lake_resource import ParquetLakeResource
from dixa_assets.defs.raw.partitions import daily_partitions
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.schema import DECLARED
from dixa_assets.lake_rewrite import main as rewrite_main
from dixa_assets_tests.conftest import day_ms, run_assets

RAW = ("dixa_conversations", "dixa_messages")
SPECS = {"dixa_conversations": CONVERSATIONS, "dixa_messages": MESSAGES}
# Per asset, what is compared in every reader: an integer column, a timestamp, a list.
TYPED = {
    "dixa_conversations": ("id", "created_at_ts", "tags"),
    "dixa_messages": ("csid", "created_at_ts", "to"),
}
Row = tuple  # (id, integer, epoch ms of the timestamp, list or None)


def truth(organisation, asset: str, day: str) -> list[dict]:
    start, end = day_ms(day)
    if asset == "dixa_conversations":
        return organisation.conversations(start, end, field="updated_at")
    return organisation.messages(start, end)


def expected_rows(organisation, asset: str, days) -> list[Row]:
    integer, _, listed = TYPED[asset]
    return sorted(
        (r["id"], int(r[integer]), int(r["created_at"]), r.get(listed))
        for day in days
        for r in truth(organisation, asset, day)
    )


def read_everywhere(folder: Path, asset: str, unify: bool = False) -> dict[str, list[Row]]:
    """The rows of every day in ``folder`` as each reader returns them, after checking that
    each reader types them as declared. ``unify``: the calls README gives for a lake whose
    days were written before and after a schema change."""
    integer, ts, listed = TYPED[asset]
    files = sorted(folder.glob("*.parquet"))
    glob = str(folder / "*.parquet")
    rows: dict[str, list[Row]] = {"pandas": []}

    for path in files:
        frame = pd.read_parquet(path)
        assert frame[integer].dtype == np.int64, (path, frame[integer].dtype)
        assert frame[ts].dtype == "datetime64[ms, UTC]", (path, frame[ts].dtype)
        assert all(isinstance(v, np.ndarray) for v in frame[listed].dropna()), path
        stamps = frame[ts].astype("int64")
        for row in zip(frame["id"], frame[integer], stamps, frame[listed], strict=True):
            rows["pandas"].append((*row[:3], None if row[3] is None else list(row[3])))
        narrow = pd.read_parquet(path, columns=["id", ts])
        assert narrow["id"].tolist() == frame["id"].tolist()
        arrow = pd.read_parquet(path, dtype_backend="pyarrow")
        assert arrow[integer].dtype == pd.ArrowDtype(pa.int64())
        assert arrow[ts].dtype == pd.ArrowDtype(TIMESTAMP_TYPE)
        assert pa.types.is_list(arrow[listed].dtype.pyarrow_dtype)
        assert arrow["id"].tolist() == frame["id"].tolist()

    options = {}
    if unify:
        options = {"schema": pl.read_parquet_schema(files[-1]), "missing_columns": "insert"}
    for name, frame in (
        ("polars read", pl.read_parquet(glob, **options)),
        ("polars scan", pl.scan_parquet(glob, **options).collect()),
    ):
        assert frame.schema[integer] == pl.Int64
        assert frame.schema[ts] == pl.Datetime("ms", "UTC")
        assert frame.schema[listed] == pl.List(pl.String)
        columns = [pl.col("id"), pl.col(integer).alias("n"), pl.col(ts).dt.epoch("ms"), listed]
        rows[name] = frame.select(columns).rows()

    union = ", union_by_name = true"  # as README says: needed only across a schema change
    with duckdb.connect() as con:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet($g{union})", {"g": glob})
        types = {name: type_ for name, type_, *_ in described.fetchall()}
        assert types[integer] == "BIGINT"
        assert types[ts] == "TIMESTAMP WITH TIME ZONE"
        assert types[listed] == "VARCHAR[]"
        query = f'SELECT id, "{integer}", epoch_ms("{ts}"), "{listed}" FROM read_parquet($g{union})'
        rows["duckdb"] = con.execute(query, {"g": glob}).fetchall()

    schema = pq.read_schema(files[-1]) if unify else None
    table = ds.dataset(folder, schema=schema).to_table()
    assert table.schema.field(integer).type == pa.int64()
    assert table.schema.field(ts).type == TIMESTAMP_TYPE
    assert pa.types.is_list(table.schema.field(listed).type)
    rows["pyarrow"] = list(
        zip(
            *(table.column(c).to_pylist() for c in ("id", integer)),
            table.column(ts).cast(pa.int64()).to_pylist(),
            table.column(listed).to_pylist(),
            strict=True,
        )
    )
    return {reader: sorted(tuple(r) for r in found) for reader, found in rows.items()}


def assert_readers_see(settings, organisation, days, unify: bool = False, **expected) -> None:
    for asset in RAW:
        want = expected.get(asset) or expected_rows(organisation, asset, days)
        found = read_everywhere(Path(settings.data_dir) / asset, asset, unify)
        for reader, got in found.items():
            assert got == want, f"{reader} reading {asset}"


def schema_of(settings, asset: str, day: str) -> pa.Schema:
    return pq.read_schema(Path(settings.data_dir) / asset / f"{day}.parquet")


def write_as_earlier_versions_did(path: Path, table: pa.Table) -> None:
    """How the IO manager wrote a day before this fix: through a DataFrame of ArrowDtypes."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")


def test_every_reader_opens_landed_days_as_they_are(settings, simulator):
    days = ("2025-03-03", "2025-03-04")
    assert run_assets(settings, RAW, *days).success
    assert_readers_see(settings, simulator.organisation, days)

    for asset in RAW:
        schema = schema_of(settings, asset, days[0])
        assert b"pandas" not in (schema.metadata or {})
        assert schema.names == DECLARED[asset].names
        for field in schema:
            assert field.metadata == DECLARED[asset].field(field.name).metadata, field.name
            assert field.nullable == DECLARED[asset].field(field.name).nullable, field.name
    rating = schema_of(settings, "dixa_conversations", days[0]).field("ratings").type.value_type
    assert rating.field("extra").metadata == {b"description": EXTRA.metadata[b"description"]}

    # Our own IO manager still gives a downstream asset the DataFrame it gave before.
    partitions = daily_partitions(settings)
    context = build_input_context(
        asset_key="dixa_messages",
        asset_partitions_def=partitions,
        asset_partition_key_range=PartitionKeyRange(*days),
    )
    lake = ParquetLakeResource(base_dir=settings.data_dir)
    frame = DixaLakeIOManager(parquet_lake=lake).load_input(context)
    assert list(frame.columns) == MESSAGES.arrow_schema.names
    assert frame["csid"].dtype == pd.ArrowDtype(pa.int64())
    assert sorted(frame["id"]) == [
        r[0] for r in expected_rows(simulator.organisation, RAW[1], days)
    ]


def test_days_before_and_after_a_new_column_read_as_one(settings, simulator):
    """A day written before ``form_submission`` was declared lacks the column; the readers'
    union-by-name options fill it with nulls."""
    org = simulator.organisation
    assert run_assets(settings, RAW, "2025-03-04", "2025-03-05").success
    before = "2025-03-03"
    for asset in RAW:
        table = records_to_table(truth(org, asset, before), SPECS[asset], before)
        if asset == "dixa_messages":
            table = table.drop_columns(["form_submission"])
        pq.write_table(table, Path(settings.data_dir) / asset / f"{before}.parquet")
    assert_readers_see(settings, org, (before, "2025-03-04", "2025-03-05"), unify=True)


def test_files_of_earlier_versions_are_rewritten_in_place(settings, simulator, capsys):
    """Earlier versions wrote pandas metadata that pd.read_parquet cannot read, and (here) kept
    ``to`` as a single address before it became a list, before ``form_submission`` was declared:
    no reader unifies a string with a list, so the rewrite command brings old days up to date."""
    org = simulator.organisation
    assert run_assets(settings, RAW, "2025-03-05").success
    old = "2025-03-04"
    data = Path(settings.data_dir)
    for asset in RAW:
        table = records_to_table(truth(org, asset, old), SPECS[asset], old)
        if asset == "dixa_messages":
            first = pa.array([(v or [None])[0] for v in table.column("to").to_pylist()])
            table = table.set_column(table.schema.get_field_index("to"), "to", first)
            table = table.drop_columns(["form_submission"])
        write_as_earlier_versions_did(data / asset / f"{old}.parquet", table)
    with pytest.raises(TypeError, match=r"\[pyarrow\]"):
        pd.read_parquet(data / "dixa_messages" / f"{old}.parquet")
    # Our own reads (the IO manager's load_input) bring old days up to the schema already.
    both = ParquetLake(data).read("dixa_messages", [old, "2025-03-05"])
    assert both.schema.equals(MESSAGES.arrow_schema) and both.num_rows > 0

    assert rewrite_main(["--data-dir", str(data), "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "dixa_conversations: 1 of 2 day(s) to rewrite",
        f"  {old}",
        "dixa_messages: 1 of 2 day(s) to rewrite",
        f"  {old}",
    ]
    assert rewrite_main(["--data-dir", str(data)]) == 0
    assert "dixa_messages: 1 of 2 day(s) rewritten" in capsys.readouterr().out

    days = (old, "2025-03-05")
    messages = [
        (m_id, csid, at, ([listed[0]] if listed else None) if day == old else listed)
        for day in days
        for m_id, csid, at, listed in expected_rows(org, "dixa_messages", [day])
    ]
    assert_readers_see(settings, org, days, dixa_messages=sorted(messages))
    rewrite_main(["--data-dir", str(data), "--dry-run"])
    assert "0 of 2" in capsys.readouterr().out
    assert schema_of(settings, "dixa_messages", old).equals(
        schema_of(settings, "dixa_messages", "2025-03-05"), check_metadata=True
    )
