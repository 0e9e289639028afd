"""Dagster metadata built from our Arrow schemas and tables: what the UI shows about an asset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableColumnConstraints, TableSchema

from dixa_assets.arrow.schemas import descriptions

PREVIEW_ROWS = 10
PREVIEW_CELL_CHARS = 40


def column_schema(schema: pa.Schema) -> TableSchema:
    """The Dagster column schema of an Arrow schema, with descriptions and nullability."""
    described = descriptions(schema)
    return TableSchema(
        columns=[
            TableColumn(
                name=field.name,
                type=str(field.type),
                description=described[field.name] or None,
                constraints=TableColumnConstraints(nullable=field.nullable),
            )
            for field in schema
        ]
    )


def first_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows a preview shows, as Python values: they hold none of the table's buffers
    (a slice would keep the whole table in memory as long as the preview is kept)."""
    head = table.slice(0, PREVIEW_ROWS)
    columns = [_values(column, head.schema.field(i).type) for i, column in enumerate(head.columns)]
    return [dict(zip(head.column_names, row, strict=True)) for row in zip(*columns, strict=True)]


def _values(column: pa.ChunkedArray, type_: pa.DataType) -> list[Any]:
    if not (pa.types.is_timestamp(type_) and type_.tz):
        return column.to_pylist()
    # pyarrow imports pandas (0.2 s) to make a zoned datetime; the UTC instant is all it takes.
    zone = ZoneInfo(type_.tz)
    naive = column.cast(pa.timestamp(type_.unit)).to_pylist()  # the instants, in UTC
    return [None if t is None else t.replace(tzinfo=UTC).astimezone(zone) for t in naive]


def preview(head: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> MetadataValue:
    """A small Markdown table of the rows ``head`` (:func:`first_rows`), cells shortened, for
    the materialization page."""
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in head[:PREVIEW_ROWS]:
        lines.append("| " + " | ".join(_cell(row[name]) for name in columns) + " |")
    return MetadataValue.md("\n".join(lines))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"
