"""Column lineage of the modelled tables: which upstream columns each column is computed from.

Shown in the Dagster UI's column lineage view (``dagster/column_lineage``). The copies follow the
SQL's own column mappings (the raw schemas,
:func:`dixa_assets.warehouse.conversation_messages.conversation_columns`); only the metrics,
computed by one statement, name their inputs here, next to nothing else: a test checks that they
cover exactly the metric columns and that every column named exists upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dagster import AssetKey, TableColumnDep, TableColumnLineage

from dixa_assets.arrow.schemas import CONVERSATIONS as CONVERSATIONS_SPEC
from dixa_assets.arrow.schemas import MESSAGES as MESSAGES_SPEC
from dixa_assets.defs.modelled.keys import (
    CONVERSATION_MESSAGES_KEY,
    CONVERSATIONS_KEY,
    RAW_CONVERSATIONS_KEY,
    RAW_MESSAGES_KEY,
)
from dixa_assets.warehouse.conversation_messages import conversation_columns
from dixa_assets.warehouse.tables import DAY_COLUMN

_CONVERSATION = CONVERSATIONS_KEY
_MESSAGE = CONVERSATION_MESSAGES_KEY
_CREATED = [(_CONVERSATION, "id"), (_CONVERSATION, "created_at_ts")]
_CLOSED = [(_CONVERSATION, "id"), (_CONVERSATION, "closed_at_ts")]
_MESSAGES_OF_DAY = [(_MESSAGE, DAY_COLUMN), (_MESSAGE, "direction")]
_FIRST_RESPONSE = [
    *_CREATED,
    (_MESSAGE, "csid"),
    (_MESSAGE, "created_at"),
    (_MESSAGE, "direction"),
    (_MESSAGE, "is_automated_message"),
]
_RATINGS = [*_CLOSED, (_CONVERSATION, "ratings")]

METRIC_SOURCES: dict[str, list[tuple[AssetKey, str]]] = {
    DAY_COLUMN: [*_CREATED[1:], *_CLOSED[1:], (_MESSAGE, DAY_COLUMN)],
    "channel": [(_CONVERSATION, "initial_channel"), (_MESSAGE, "initial_channel")],
    "queue_id": [(_CONVERSATION, "queue_id")],
    "queue_name": [(_CONVERSATION, "queue_name")],
    "conversations_created": _CREATED,
    "conversations_closed": _CLOSED,
    "inbound_messages": _MESSAGES_OF_DAY,
    "outbound_messages": _MESSAGES_OF_DAY,
    "automated_messages": [*_MESSAGES_OF_DAY, (_MESSAGE, "is_automated_message")],
    "orphan_messages": [(_MESSAGE, DAY_COLUMN), (_MESSAGE, "csid"), (_CONVERSATION, "id")],
    "conversations_responded": _FIRST_RESPONSE,
    "first_response_seconds_median": _FIRST_RESPONSE,
    "first_response_seconds_p90": _FIRST_RESPONSE,
    "resolution_seconds_median": [*_CLOSED, (_CONVERSATION, "created_at")],
    "resolution_seconds_p90": [*_CLOSED, (_CONVERSATION, "created_at")],
    "handling_seconds_median": [*_CLOSED, (_CONVERSATION, "exports_handling_duration")],
    "handling_seconds_p90": [*_CLOSED, (_CONVERSATION, "exports_handling_duration")],
    "csat_ratings": _RATINGS,
    "csat_score_avg": _RATINGS,
    "thumbs_ratings": _RATINGS,
    "thumbs_up_share": _RATINGS,
}
"""Each column of ``daily_support_metrics`` and the columns its definition (SUPPORT_METRICS)
reads: the day and group columns, and the facts counted or aggregated."""


def _lineage(sources: Mapping[str, Iterable[tuple[AssetKey, str]]]) -> TableColumnLineage:
    return TableColumnLineage(
        deps_by_column={
            column: [TableColumnDep(asset_key=key, column_name=name) for key, name in deps]
            for column, deps in sources.items()
        }
    )


def conversations_lineage() -> TableColumnLineage:
    """``conversations`` holds the raw conversation columns as they are (the newest version)."""
    return _lineage({name: [(RAW_CONVERSATIONS_KEY, name)] for name in _names(CONVERSATIONS_SPEC)})


def conversation_messages_lineage() -> TableColumnLineage:
    """The raw message columns as they are, the partition's day, and the conversation's columns
    as ``SELECT_CONVERSATION_MESSAGES`` copies them."""
    sources: dict[str, list[tuple[AssetKey, str]]] = {
        name: [(RAW_MESSAGES_KEY, name)] for name in _names(MESSAGES_SPEC)
    }
    sources[DAY_COLUMN] = [(RAW_MESSAGES_KEY, MESSAGES_SPEC.partition_field)]
    sources["conversation_known"] = [(RAW_MESSAGES_KEY, "csid"), (CONVERSATIONS_KEY, "id")]
    for source, target in conversation_columns():
        sources[target] = [(CONVERSATIONS_KEY, source)]
    return _lineage(sources)


def daily_support_metrics_lineage() -> TableColumnLineage:
    return _lineage(METRIC_SOURCES)


def _names(spec) -> list[str]:
    return spec.arrow_schema.names
