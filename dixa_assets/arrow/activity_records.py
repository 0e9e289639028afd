"""Activity log entries (decoded JSON) to the Arrow table of :mod:`.activity_schema`.

Every value's JSON type is checked before it goes into a typed column (pyarrow would otherwise
turn `true` into 1 or a string into a list of characters); a value of another type than declared
is kept, as sent, in the JSON column with the undeclared keys instead. Only what makes an entry
unusable fails the run: no id, no readable conversation id, no `_type`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from dixa_assets.arrow.activity_schema import (
    ARROW_SCHEMA,
    ATTRIBUTES,
    CONVERSATION_ID_COLUMN,
    ENTRY_FIELDS,
    EXTRA_ATTRIBUTES,
    EXTRA_FIELDS,
    PARTITION_COLUMN,
    Attribute,
    Kind,
)
from dixa_assets.arrow.activity_types import KNOWN_TYPES
from dixa_assets.arrow.records import MalformedRecordError

_BY_KEY: dict[str, list[Attribute]] = {}
for _attribute in ATTRIBUTES:
    _BY_KEY.setdefault(_attribute.path[0], []).append(_attribute)
_AUTHOR = (("id", "author_id"), ("name", "author_name"), ("email", "author_email"),
           ("phoneNumber", "author_phone_number"))  # fmt: skip


@dataclass
class Drift:
    """What the API sent beyond the notes, counted per kind of surprise."""

    unknown_types: Counter[str] = field(default_factory=Counter)
    unknown_attributes: Counter[str] = field(default_factory=Counter)
    unknown_fields: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            "unknown_types": dict(sorted(self.unknown_types.items())),
            "unknown_attributes": dict(sorted(self.unknown_attributes.items())),
            "unknown_fields": dict(sorted(self.unknown_fields.items())),
        }

    def __bool__(self) -> bool:
        return bool(self.unknown_types or self.unknown_attributes or self.unknown_fields)


def _fits(value: Any, kind: Kind) -> bool:
    if kind is Kind.JSON:
        return True
    if kind is Kind.STRING:
        return isinstance(value, str)
    if kind is Kind.INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is Kind.BOOL:
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _required_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():  # a string id ([NODE] types it so)
        return int(value)
    return None


def _identity(entry: dict[str, Any], where: str, index: int) -> tuple[str, int, str]:
    """An entry's id, conversation id and type, which every entry must have."""
    entry_id = entry.get("id")
    csid = _required_int(entry.get("conversationId"))
    type_ = entry.get("_type")
    if not isinstance(entry_id, str) or csid is None or not isinstance(type_, str):
        bad = "id" if not isinstance(entry_id, str) else "_type"
        bad = "conversationId" if csid is None and bad == "_type" else bad
        raise MalformedRecordError(
            where, bad, index, entry_id, "missing, or not a string/number as documented"
        )
    return entry_id, csid, type_


def entries_to_table(entries: Iterable[dict[str, Any]], where: str) -> tuple[pa.Table, Drift]:
    """Entries (each with `activity_ms` set by the client) as a table, and the drift seen."""
    attribute_columns = {a.column for a in ATTRIBUTES}
    columns: dict[str, list[Any]] = {
        name: [] for name in ARROW_SCHEMA.names if name not in attribute_columns
    }
    # Attribute columns are sparse (an entry has a few of ~60): filled by row at the end.
    sparse: dict[str, dict[int, Any]] = {column: {} for column in attribute_columns}
    drift = Drift()
    for index, entry in enumerate(entries):
        entry_id, csid, type_ = _identity(entry, where, index)
        known = type_ in KNOWN_TYPES
        if not known:
            drift.unknown_types[type_] += 1
        columns["id"].append(entry_id)
        columns[CONVERSATION_ID_COLUMN].append(csid)
        columns[PARTITION_COLUMN].append(entry["activity_ms"])
        columns[f"{PARTITION_COLUMN}_ts"].append(entry["activity_ms"])
        columns["type"].append(type_)
        columns["known_type"].append(known)
        activity_type = entry.get("activityType")
        columns["activity_type"].append(activity_type if isinstance(activity_type, str) else None)
        extra_fields = {
            k: v
            for k, v in entry.items()
            if k not in ENTRY_FIELDS and k not in ("attributes", "activity_ms")
        }
        if activity_type is not None and not isinstance(activity_type, str):
            extra_fields["activityType"] = activity_type
        author = entry.get("author")
        author = dict(author) if isinstance(author, dict) else author
        for key, column in _AUTHOR:
            value = author.get(key) if isinstance(author, dict) else None
            if isinstance(value, str):
                author.pop(key)  # type: ignore[union-attr]
            columns[column].append(value if isinstance(value, str) else None)
        if author:  # not an object, or keys beyond the user shape
            extra_fields["author"] = author
        drift.unknown_fields.update(k for k in extra_fields if k != "author")
        attributes = entry.get("attributes")
        rest = _take_attributes(attributes if isinstance(attributes, dict) else {}, index, sparse)
        if not isinstance(attributes, dict):
            rest = attributes  # null, missing, or not an object: kept as sent
        if rest not in (None, {}):
            columns[EXTRA_ATTRIBUTES].append(orjson.dumps(rest).decode())
            if isinstance(rest, dict):
                drift.unknown_attributes.update(f"{type_}.{k}" for k in rest)
        else:
            columns[EXTRA_ATTRIBUTES].append(None)
        columns[EXTRA_FIELDS].append(orjson.dumps(extra_fields).decode() if extra_fields else None)
    rows = len(columns["id"])
    for column, values in sparse.items():
        filled: list[Any] = [None] * rows
        for row, value in values.items():
            filled[row] = value
        columns[column] = filled
    table = pa.table(
        {f.name: pa.array(columns[f.name], type=f.type) for f in ARROW_SCHEMA}, schema=ARROW_SCHEMA
    )
    return table, drift


def _take_attributes(
    attributes: dict[str, Any], row: int, sparse: dict[str, dict[int, Any]]
) -> dict[str, Any]:
    """Put `attributes`' declared values in `sparse` at `row`; return what no column took."""
    rest: dict[str, Any] = {}
    for key, value in attributes.items():
        declared = _BY_KEY.get(key)
        if declared is None:
            rest[key] = value
            continue
        if value is None:
            continue  # a declared key sent as null: the column's null says it
        left: Any = dict(value) if isinstance(value, dict) else value
        for attribute in declared:
            if len(attribute.path) == 1:
                if _fits(left, attribute.kind):
                    json = attribute.kind is Kind.JSON
                    sparse[attribute.column][row] = orjson.dumps(left).decode() if json else left
                    left = None
                continue
            leaf = attribute.path[1]
            inner = left.get(leaf) if isinstance(left, dict) else None
            if inner is not None and _fits(inner, attribute.kind):
                sparse[attribute.column][row] = inner
                del left[leaf]
            elif isinstance(left, dict) and leaf in left and inner is None:
                del left[leaf]
        # A user-shaped value whose keys all went to columns leaves nothing behind.
        if left is not None and left != {}:
            rest[key] = left
    return rest
