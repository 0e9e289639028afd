"""JSON records of an export -> one Arrow table of its declared schema.

Conversion is column by column: each field's values are gathered once and handed to pyarrow,
which converts them in C++. Python touches individual values only for the nested fields whose
shapes vary (``ratings``, ``custom_fields``, ``tags_info``), for JSON-kept fields, and to explain
a value that does not fit: such an error names the field, the record and where it came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from dixa_assets.arrow.schemas import (
    ARROW_TYPES,
    CUSTOM_FIELD,
    RATING,
    RATING_TIMESTAMPS,
    TAG_INFO,
    TIMESTAMP_TYPE,
    Kind,
    TableSpec,
)
from dixa_assets.exports_api import Record
from dixa_assets.exports_api.errors import PermanentError

STRING_LIST = ARROW_TYPES[Kind.STRING_LIST]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class MalformedRecordError(PermanentError, ValueError):
    """A record whose field cannot be stored without loss; says which, where and why."""

    def __init__(self, where: str, field: str, index: int, record_id: Any, problem: str) -> None:
        super().__init__(
            f"Malformed {field!r} in record {index} (id={record_id!r}) of {where}: {problem}"
        )
        self.field = field
        self.index = index
        self.record_id = record_id
        self._args = (where, field, index, record_id, problem)

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        # Raised in a worker process too (exports_api.decoding_pool): it must cross a pickle.
        return type(self), self._args


def records_to_table(records: Sequence[Record], spec: TableSpec, where: str) -> pa.Table:
    """Build the table of ``spec`` from ``records``; ``where`` names the partition for errors."""
    typed = _typed_columns(records, spec)
    arrays: list[pa.Array] = []
    for field in spec.fields:
        array = typed.get(field.name)
        if array is None:
            values = [record.get(field.name) for record in records]
            try:
                array = _CONVERTERS[field.kind](values)
            except _BadValue as bad:
                record_id = records[bad.index].get("id")
                raise MalformedRecordError(
                    where, field.name, bad.index, record_id, bad.problem
                ) from None
        if field.required and array.null_count:
            index = pc.index(pc.is_null(array), True).as_py()
            raise MalformedRecordError(
                where, field.name, index, records[index].get("id"), "required but missing or null"
            )
        arrays.append(array)
        if field.kind is Kind.TIMESTAMP:
            arrays.append(array.cast(TIMESTAMP_TYPE))
    arrays.append(pa.array(_extra_fields(records, spec), pa.string()))
    return pa.Table.from_arrays(arrays, schema=spec.arrow_schema)


def _typed_columns(records: Sequence[Record], spec: TableSpec) -> dict[str, pa.Array]:
    """The flat columns, converted in one pass in C++ (the common, fast case).

    pyarrow refuses a value of another type there, and such a record sends every column down the
    per-column path, which keeps it losslessly or names it. Two silent conversions are guarded:
    a number column is kept only if it casts back to int64 exactly and holds no value of 0 or 1
    (which could have been ``false``/``true``); otherwise that column takes the checked path.
    Lists stay on that path, since pyarrow would split a string into its characters.
    """
    try:
        struct = pa.array(records, type=spec.typed_struct)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return {}
    columns = {}
    for field in spec.typed_struct:
        column = struct.field(field.name)
        if pa.types.is_floating(field.type):
            low = pc.min(column).as_py()
            if low is not None and low <= 1:
                continue
            try:
                column = column.cast(pa.int64())
            except pa.ArrowInvalid:
                continue
        columns[field.name] = column
    return columns


def _extra_fields(records: Sequence[Record], spec: TableSpec) -> list[str | None]:
    known = spec.known_names
    return [
        None
        if record.keys() <= known
        else _json({k: v for k, v in record.items() if k not in known})
        for record in records
    ]


class _BadValue(Exception):
    def __init__(self, index: int, problem: str) -> None:
        self.index = index
        self.problem = problem


def _to_int(values: list[Any]) -> pa.Array:
    """int64 from ints, integral floats (``1.7e12``) and digit strings; never truncates."""
    try:
        inferred = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        inferred = None
    if inferred is not None and (
        pa.types.is_integer(inferred.type)
        or pa.types.is_floating(inferred.type)
        or pa.types.is_null(inferred.type)
    ):
        try:
            return inferred.cast(pa.int64())  # safe cast: a fractional value raises
        except pa.ArrowInvalid:
            pass
    return pa.array([_int_value(v, i) for i, v in enumerate(values)], pa.int64())


def _int_value(value: Any, index: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _BadValue(index, f"expected an integer, got the boolean {value}")
    integral_float = isinstance(value, float) and value.is_integer()
    digits = isinstance(value, str) and value.strip().lstrip("-").isdigit()
    if not (isinstance(value, int) or integral_float or digits):
        raise _BadValue(index, f"expected an integer, got {_show(value)}")
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise _BadValue(index, f"{number} does not fit a 64-bit integer")
    return number


def _to_string(values: list[Any]) -> pa.Array:
    """Strings as they are; any other JSON value as its JSON text, so nothing is lost."""
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_text(v) for v in values], pa.string())


def _to_bool(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, pa.bool_())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    for index, value in enumerate(values):
        if value is not None and not isinstance(value, bool):
            raise _BadValue(index, f"expected true or false, got {_show(value)}")
    raise AssertionError("unreachable: pyarrow refused only booleans and nulls")


def _to_string_list(values: list[Any]) -> pa.Array:
    """Arrays of strings; inferred first, since a typed conversion would split a string."""
    try:
        inferred = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        inferred = None
    if inferred is not None and inferred.type in (pa.null(), pa.list_(pa.null()), STRING_LIST):
        return inferred.cast(STRING_LIST)
    out = []
    for index, value in enumerate(values):
        if value is None:
            out.append(None)
        elif isinstance(value, list):
            out.append([_text(item) for item in value])
        else:
            raise _BadValue(index, f"expected an array of strings, got {_show(value)}")
    return pa.array(out, STRING_LIST)


def _to_json(values: list[Any]) -> pa.Array:
    return pa.array([None if v is None else _json(v) for v in values], pa.string())


def _object_lists(
    shape: Callable[[Any], dict[str, Any]], struct: pa.StructType
) -> Callable[[list[Any]], pa.Array]:
    """A converter for a list of objects whose keys vary: known keys typed, the rest ``extra``."""
    list_type = pa.list_(struct)

    def convert(values: list[Any]) -> pa.Array:
        out: list[list[dict[str, Any]] | None] = []
        for index, value in enumerate(values):
            if value is None:
                out.append(None)
            elif not isinstance(value, list):
                raise _BadValue(index, f"expected an array, got {_show(value)}")
            else:
                try:
                    out.append([shape(item) for item in value])
                except _ItemError as err:
                    raise _BadValue(index, str(err)) from None
        try:
            return pa.array(out, list_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            bad = next(i for i, row in enumerate(out) if not _fits(row, list_type))
            raise _BadValue(bad, f"does not fit {struct}: {err}") from None

    return convert


class _ItemError(Exception):
    pass


def _split_known(item: Any, known: Sequence[str]) -> tuple[dict[str, Any], str | None]:
    if not isinstance(item, dict):
        raise _ItemError(f"expected an object in the array, got {_show(item)}")
    typed = {key: item.get(key) for key in known}
    rest = {k: v for k, v in item.items() if k not in typed}
    return typed, _json(rest) if rest else None


RATING_KEYS = tuple(f.name for f in RATING if f.name != "extra")
RATING_INT_KEYS = ("rating_score", *RATING_TIMESTAMPS)
RATING_TEXT_KEYS = ("rating_message", "rating_type", "rating_status", "rating_language")


def _rating(item: Any) -> dict[str, Any]:
    typed, extra = _split_known(item, RATING_KEYS)
    for key in RATING_INT_KEYS:
        typed[key] = _item_int(typed[key], key)
    for key in RATING_TEXT_KEYS:
        typed[key] = _text(typed[key])
    return {**typed, "extra": extra}


def _custom_field(item: Any) -> dict[str, Any]:
    known = ("attribute_id", "identifier", "data_type", "archived", "value")
    typed, extra = _split_known(item, known)
    value = typed["value"]
    archived = typed["archived"]
    if archived is not None and not isinstance(archived, bool):
        raise _ItemError(f"custom field 'archived' should be a boolean, got {_show(archived)}")
    return {
        "attribute_id": _text(typed["attribute_id"]),
        "identifier": _text(typed["identifier"]),
        "data_type": _text(typed["data_type"]),
        "archived": archived,
        "value": None if isinstance(value, list) else _text(value),
        "values": [_text(v) for v in value] if isinstance(value, list) else None,
        "extra": extra,
    }


def _tag_info(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"id": None, "name": None, "is_deactivated": None, "text": item, "extra": None}
    typed, extra = _split_known(item, ("id", "name", "is_deactivated"))
    deactivated = typed["is_deactivated"]
    if deactivated is not None and not isinstance(deactivated, bool):
        raise _ItemError(f"tag 'is_deactivated' should be a boolean, got {_show(deactivated)}")
    return {
        "id": _text(typed["id"]),
        "name": _text(typed["name"]),
        "is_deactivated": deactivated,
        "text": None,
        "extra": extra,
    }


def _item_int(value: Any, key: str) -> int | None:
    try:
        return _int_value(value, 0)
    except _BadValue as bad:
        raise _ItemError(f"{key}: {bad.problem}") from None


def _fits(row: Any, list_type: pa.DataType) -> bool:
    try:
        pa.array([row], list_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return True


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _json(value)


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _show(value: Any) -> str:
    text = _json(value)
    return text if len(text) <= 80 else text[:77] + "..."


_CONVERTERS: dict[Kind, Callable[[list[Any]], pa.Array]] = {
    Kind.INT: _to_int,
    Kind.TIMESTAMP: _to_int,
    Kind.STRING: _to_string,
    Kind.BOOL: _to_bool,
    Kind.STRING_LIST: _to_string_list,
    Kind.JSON: _to_json,
    Kind.RATINGS: _object_lists(_rating, RATING),
    Kind.CUSTOM_FIELDS: _object_lists(_custom_field, CUSTOM_FIELD),
    Kind.TAGS_INFO: _object_lists(_tag_info, TAG_INFO),
}


def unknown_field_counts(table: pa.Table, column: str) -> dict[str, int]:
    """How many records carry each field the reference does not list."""
    counts: Counter[str] = Counter()
    for text in pc.drop_null(table.column(column)).to_pylist():
        counts.update(orjson.loads(text).keys())
    return dict(sorted(counts.items()))
