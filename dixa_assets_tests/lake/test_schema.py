"""What the lake's write path makes of a table: the declared schema, no pandas metadata, or a
clear error."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dixa_assets.arrow.records import records_to_table
from dixa_assets.arrow.schemas import MESSAGES
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets.lake.schema import SchemaMismatch, conform, is_conformed

MESSAGE = {"id": "m1", "csid": 7, "created_at": 1_740_787_200_000, "to": ["a@example.com"]}


def messages(**changes) -> pa.Table:
    return records_to_table([{**MESSAGE, **changes}], MESSAGES, "test")


def test_an_undeclared_asset_loses_only_the_pandas_metadata():
    frame = pd.DataFrame({"x": pd.array([1], dtype=pd.ArrowDtype(pa.int64()))})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**table.schema.metadata, b"ours": b"kept"})
    assert conform(table, "elsewhere", "here").schema.metadata == {b"ours": b"kept"}


def test_a_column_the_declaration_does_not_know_is_kept_last():
    table = messages().append_column("later", pa.array(["kept"]))
    conformed = conform(table, "dixa_messages", "here")
    assert conformed.schema.names == [*MESSAGES.arrow_schema.names, "later"]
    assert conformed.column("later").to_pylist() == ["kept"]


def test_a_column_of_another_type_fails_naming_partition_and_column(tmp_path):
    lake = ParquetLake(tmp_path)
    path = lake.write("dixa_messages", "2025-03-01", messages())
    table = messages().set_column(1, "csid", pa.array(["7"]))
    with pytest.raises(SchemaMismatch, match=r"dixa_messages partition 2025-03-01: column 'csid'"):
        lake.write("dixa_messages", "2025-03-01", table)
    assert is_conformed(pq.read_schema(path), "dixa_messages")
    assert not is_conformed(table.schema, "dixa_messages")


def test_a_null_in_a_required_column_fails():
    table = messages().set_column(1, "csid", pa.array([None], pa.int64()))
    with pytest.raises(SchemaMismatch, match=r"'csid' is required but has 1 null"):
        conform(table, "dixa_messages", "dixa_messages partition 2025-03-01")
