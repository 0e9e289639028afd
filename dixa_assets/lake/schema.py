"""What every Parquet file of the lake looks like on disk, whoever writes or reads it.

A day's table is put in its asset's declared schema (:mod:`dixa_assets.arrow.schemas`) before it is
written, so a file opens the same way in pandas, polars, DuckDB and pyarrow without our code:

* no ``pandas`` schema metadata: ``pa.Table.from_pandas`` records pandas' dtypes there, and for
  Arrow-backed dtypes it records names (``list<item: string>[pyarrow]``) that ``pd.read_parquet``
  cannot parse back (pandas-dev/pandas#57411, apache/arrow#46328), so the file would not open in
  pandas at all. Without it, every reader maps the Arrow types itself;
* every field carries its ``description`` from the API reference, and its declared nullability
  (both are lost on the way through a pandas DataFrame);
* columns in declared order, types exactly as declared. A day written before the declaration
  changed is brought up to it: a column declared since is added as nulls, a scalar column that
  became a list holds its value as a one-element list. Any other difference is an error: a
  silent cast could turn ``true`` into 1. Columns no longer declared are kept, never dropped.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dixa_assets.arrow.schemas import CONVERSATIONS, MESSAGES, empty_table

PANDAS_METADATA = b"pandas"
# Each raw asset (its folder in the lake) and the schema its files have.
DECLARED: dict[str, pa.Schema] = {
    spec.asset: spec.arrow_schema for spec in (CONVERSATIONS, MESSAGES)
}


class SchemaMismatch(ValueError):
    """A column that cannot be brought to its declared type without loss."""


def conform(table: pa.Table, asset: str, where: str) -> pa.Table:
    """``table`` as the lake stores ``asset``; ``where`` names the partition in errors."""
    metadata = {
        key: value for key, value in (table.schema.metadata or {}).items() if key != PANDAS_METADATA
    }
    declared = DECLARED.get(asset)
    if declared is None:
        return table.replace_schema_metadata(metadata or None)
    fields: list[pa.Field] = []
    columns: list[pa.ChunkedArray] = []
    for field in declared:
        if field.name in table.column_names:
            column = _as_declared(table.column(field.name), field, where)
        else:
            column = pa.chunked_array([pa.nulls(table.num_rows, field.type)], field.type)
        if not field.nullable and column.null_count:
            raise SchemaMismatch(
                f"{where}: column {field.name!r} is required but has {column.null_count} null(s)"
            )
        fields.append(field)
        columns.append(column)
    for field in table.schema:
        if field.name not in declared.names:
            fields.append(field)
            columns.append(table.column(field.name))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata or None))


def is_conformed(schema: pa.Schema, asset: str) -> bool:
    """Whether a file of ``asset`` with ``schema`` is already as :func:`conform` writes it."""
    try:
        expected = conform(empty_table(schema), asset, "").schema
    except SchemaMismatch:
        return False  # rewriting it names the partition and the column
    read_back = pa.schema([f.with_type(_items_named_item(f.type)) for f in schema], schema.metadata)
    return read_back.equals(expected, check_metadata=True)


def _as_declared(column: pa.ChunkedArray, field: pa.Field, where: str) -> pa.ChunkedArray:
    if _items_named_item(column.type).equals(field.type):  # nested metadata aside
        return column.cast(field.type)  # same layout: carries the declared names and metadata
    if pa.types.is_list(field.type) and column.type.equals(field.type.value_type):
        chunks = [_one_element_lists(chunk, field.type) for chunk in column.chunks]
        return pa.chunked_array(chunks, field.type)
    raise SchemaMismatch(
        f"{where}: column {field.name!r} is {column.type}, declared {field.type}; "
        "no lossless conversion is known"
    )


def _items_named_item(type_: pa.DataType) -> pa.DataType:
    """``type_`` with Arrow's list item name, ``item``, where Parquet readers say ``element``."""
    if pa.types.is_list(type_):
        item = type_.value_field
        return pa.list_(item.with_name("item").with_type(_items_named_item(item.type)))
    if pa.types.is_struct(type_):
        return pa.struct([f.with_type(_items_named_item(f.type)) for f in type_.fields])
    return type_


def _one_element_lists(values: pa.Array, list_type: pa.ListType) -> pa.Array:
    """Each value as a one-element list; a null stays a null list."""
    valid = pc.is_valid(values)
    lengths = pc.cast(valid, pa.int32())
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)])
    return pa.ListArray.from_arrays(
        offsets, values.filter(valid), type=list_type, mask=pc.invert(valid)
    )
