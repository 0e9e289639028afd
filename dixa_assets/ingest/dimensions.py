"""The four dimension tables: what each fetches from the main API and how a row looks.

`dixa_teams` and `dixa_queues` hold one row per (team or queue, member agent), plus a row with
no agent for one without members, so membership history is a plain SCD2 on that pair. Every
row keeps the item exactly as sent in a JSON column (`record`), so fields the notes do not list
are never lost; typed columns take a value only when its JSON type is the documented one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from dixa_assets.arrow.dimension_history import ROW_HASH, VALID_FROM, VALID_TO, Row
from dixa_assets.main_api import MainApiClient

S, B, N, L = pa.string(), pa.bool_(), pa.int64(), pa.list_(pa.string())
_TS = pa.timestamp("ms", tz="UTC")


def _typed(value: Any, type_: pa.DataType) -> Any:
    if type_ == S:
        return value if isinstance(value, str) else None
    if type_ == B:
        return value if isinstance(value, bool) else None
    if type_ == N:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value if ok else None


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class Dimension:
    """One dimension asset: its key, typed columns (name, type, description) and fetch."""

    name: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, pa.DataType, str], ...]
    fetch: Callable[[MainApiClient, logging.Logger], list[Row]]
    description: str

    @property
    def arrow_schema(self) -> pa.Schema:
        fields = [
            pa.field(n, t, nullable=n not in self.key[:1]).with_metadata({"description": d})
            for n, t, d in self.columns
        ]
        meta = [
            (VALID_FROM, _TS, "First snapshot in which this version was seen"),
            (VALID_TO, _TS, "Snapshot in which it was first gone or changed; null: current"),
            (ROW_HASH, S, "Digest of the version's values, to tell versions apart"),
        ]
        fields += [pa.field(n, t).with_metadata({"description": d}) for n, t, d in meta]
        return pa.schema(fields)

    def to_table(self, rows: list[Row]) -> pa.Table:
        schema = self.arrow_schema
        return pa.table(
            {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema},
            schema=schema,
        )

    def from_table(self, table: pa.Table) -> list[Row]:
        for name in (VALID_FROM, VALID_TO):
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, table.column(name).cast(pa.int64()))
        return table.to_pylist()


def _row(item: dict[str, Any], columns: dict[str, tuple[str, pa.DataType]]) -> Row:
    return {column: _typed(item.get(source), t) for column, (source, t) in columns.items()}


_AGENT = {"id": ("id", S), "display_name": ("displayName", S), "email": ("email", S),
          "phone_number": ("phoneNumber", S), "first_name": ("firstName", S),
          "last_name": ("lastName", S), "roles": ("roles", L),
          "created_at": ("createdAt", S)}  # fmt: skip


def _agents(client: MainApiClient, log: logging.Logger) -> list[Row]:
    return [{**_row(item, _AGENT), "record": _json(item)} for item in client.agents()]


def _teams(client: MainApiClient, log: logging.Logger) -> list[Row]:
    rows = []
    for team in client.teams():
        members = client.team_members(str(team.get("id")))
        if members is None:
            log.warning(f"team {team.get('id')} disappeared while its members were read")
            continue
        head = {"team_id": _typed(team.get("id"), S), "team_name": _typed(team.get("name"), S)}
        for member in members or [{}]:
            rows.append({**head, "agent_id": _typed(member.get("id"), S),
                         "agent_name": _typed(member.get("name"), S),
                         "team_record": _json(team), "member_record": _json(member)})  # fmt: skip
    return rows


def _queues(client: MainApiClient, log: logging.Logger) -> list[Row]:
    rows = []
    for queue in client.queues():
        members = client.queue_members(str(queue.get("id")))
        if members is None:
            log.warning(f"queue {queue.get('id')} disappeared while its members were read")
            continue
        head = {"queue_id": _typed(queue.get("id"), S), "queue_name": _typed(queue.get("name"), S),
                "is_default": _typed(queue.get("isDefault"), B),
                "queue_priority": _typed(queue.get("priority"), N)}  # fmt: skip
        for member in members or [{}]:
            rows.append({**head, "agent_id": _typed(member.get("agentId"), S),
                         "member_priority": _typed(member.get("priority"), N),
                         "queue_record": _json(queue), "member_record": _json(member)})  # fmt: skip
    return rows


def _tags(client: MainApiClient, log: logging.Logger) -> list[Row]:
    columns = {"id": ("id", S), "name": ("name", S), "state": ("state", S), "color": ("color", S)}
    return [{**_row(item, columns), "record": _json(item)} for item in client.tags()]


HISTORY = "history"
"""The lake partition holding a dimension's whole history: ``<asset>/history.parquet``."""
RECORD = "The item exactly as the API sent it (JSON)"
DIMENSIONS = (
    Dimension(
        "dixa_agents",
        ("id",),
        (
            ("id", S, "Agent id (uuid): the export's assignee_id"),
            ("display_name", S, "displayName"),
            ("email", S, "email"),
            ("phone_number", S, "phoneNumber"),
            ("first_name", S, "firstName"),
            ("last_name", S, "lastName"),
            ("roles", L, "roles (Agent, Admin, TeamLead, ...)"),
            ("created_at", S, "createdAt, as sent"),
            ("record", S, RECORD),
        ),
        _agents,
        "Agents and admins (GET /agents), with the history of every change.",
    ),
    Dimension(
        "dixa_teams",
        ("team_id", "agent_id"),
        (
            ("team_id", S, "Team id"),
            ("team_name", S, "Team name"),
            ("agent_id", S, "A member agent's id; null for a team without members"),
            ("agent_name", S, "The member's name"),
            ("team_record", S, RECORD),
            ("member_record", S, RECORD),
        ),
        _teams,
        "Teams and their members (GET /teams, /teams/{id}/agents): one row per team and member, "
        "with valid_from/valid_to, so an agent's team at any instant since the first snapshot "
        "is known.",
    ),
    Dimension(
        "dixa_queues",
        ("queue_id", "agent_id"),
        (
            ("queue_id", S, "Queue id: the export's queue_id"),
            ("queue_name", S, "Queue name"),
            ("is_default", B, "isDefault"),
            ("queue_priority", N, "The queue's priority"),
            ("agent_id", S, "A member agent's id; null for a queue without members"),
            ("member_priority", N, "The member's priority in the queue"),
            ("queue_record", S, RECORD),
            ("member_record", S, RECORD),
        ),
        _queues,
        "Queues and their members (GET /queues, /queues/{id}/members): one row per queue and "
        "member, with valid_from/valid_to.",
    ),
    Dimension(
        "dixa_tags",
        ("id",),
        (
            ("id", S, "Tag id"),
            ("name", S, "Tag name (the activity log and export name tags)"),
            ("state", S, "Active or Inactive"),
            ("color", S, "color"),
            ("record", S, RECORD),
        ),
        _tags,
        "Tags, deactivated ones included (GET /tags?includeDeactivated=true), with history.",
    ),
)
