"""The organisation as the main API shows it: agents, teams and their members, queues and their
members, tags. The same cast as the export (ids and names from the catalogue), plus what the
export has no field for: teams, queue membership, roles.

Membership is state that tests change between two snapshots (an agent moves team, an agent is
deleted), so the directory is mutable and thread-safe; the initial state is a pure function of
the seed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from dixa_assets.simulator.catalogue import Catalogue, Person

TEAM_NAMES = ("Tier 1", "Tier 2", "Billing team")
_ROLES = (["Agent"], ["Agent"], ["Agent", "TeamLead"], ["Admin"])
_COLORS = ("#e11d48", "#2563eb", "#16a34a", None)
_ORGANIZATION_ID = "0f1e2d3c-4b5a-4697-8877-665544332211"


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str


def author(person: Person) -> dict[str, Any]:
    """The API's user shape (`author`, user-typed attributes) for an agent or end user."""
    shape: dict[str, Any] = {"id": person.id, "name": person.name}
    if person.email is not None:
        shape["email"] = person.email
    if person.phone is not None:
        shape["phoneNumber"] = person.phone
    return shape


class Directory:
    """Agents, teams, queues and tags of one organisation, with mutable membership."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        # Team ids derived from the queue/agent ids: stable per seed, no extra RNG stream.
        self.teams = tuple(
            Team(f"7e40{k:04d}-{catalogue.queues[k].id[9:]}", name)
            for k, name in enumerate(TEAM_NAMES)
        )
        agents = catalogue.agents
        self._lock = threading.Lock()
        self._team_of = {a.id: self.teams[i % len(self.teams)].id for i, a in enumerate(agents)}
        self._deleted: set[str] = set()
        # Each queue's members: a deterministic slice of the agents, priorities 1..3.
        self._queue_members = {
            queue.id: [(agents[(q * 4 + j) % len(agents)].id, 1 + j % 3) for j in range(8)]
            for q, queue in enumerate(catalogue.queues)
        }

    # Changes (tests, control endpoint).

    def move_agent(self, agent_id: str, team_id: str | None) -> None:
        """Put an agent in another team (None: in no team)."""
        if agent_id not in self._team_of:
            raise KeyError(f"no agent {agent_id}")
        if team_id is not None and team_id not in {t.id for t in self.teams}:
            raise KeyError(f"no team {team_id}")
        with self._lock:
            self._team_of[agent_id] = team_id  # type: ignore[assignment]

    def delete_agent(self, agent_id: str) -> None:
        """The agent disappears from /agents and from team and queue members."""
        with self._lock:
            self._deleted.add(agent_id)

    def team_of(self, agent_id: str) -> str | None:
        with self._lock:
            return None if agent_id in self._deleted else self._team_of.get(agent_id)

    # What the endpoints serve.

    def agents(self) -> list[dict[str, Any]]:
        out = []
        for i, agent in enumerate(self.catalogue.agents):
            if agent.id in self._deleted:
                continue
            first, _, last = agent.name.partition(" ")
            item: dict[str, Any] = {
                "id": agent.id,
                "createdAt": _iso_day(2023, 1 + i % 12),
                "displayName": agent.name,
                "email": agent.email or f"agent-{i}@acme-support.example",
                "additionalEmails": list(agent.additional_emails),
                "additionalPhoneNumbers": list(agent.additional_phones),
                "firstName": first,
                "lastName": last,
                "middleNames": [],
                "roles": list(_ROLES[i % len(_ROLES)]),
            }
            if agent.phone is not None:
                item["phoneNumber"] = agent.phone
            out.append(item)
        return out

    def team_list(self) -> list[dict[str, Any]]:
        return [{"id": t.id, "name": t.name} for t in self.teams]

    def team_members(self, team_id: str) -> list[dict[str, Any]] | None:
        if team_id not in {t.id for t in self.teams}:
            return None
        with self._lock:
            ids = {a for a, t in self._team_of.items() if t == team_id and a not in self._deleted}
        members = []
        for agent in self.catalogue.agents:
            if agent.id in ids:
                member = author(agent)
                members.append(member)
        return members

    def queues(self) -> list[dict[str, Any]]:
        return [
            {
                "id": queue.id,
                "name": queue.name,
                "isDefault": k == 0,
                "organizationId": _ORGANIZATION_ID,
                "queueThresholds": {"SlaTimeLimit": 120 + 60 * k, "WaitingConversations": 10},
                "slaCalculationMethod": "AbandonedIgnored",
                "doNotOfferTimeouts": {"PstnPhone": 30},
                "isDoNotOfferEnabled": False,
                "offeringAlgorithm": ("AgentPriorityLongestIdle", "AllAtOnce")[k % 2],
                "memberListType": "Default",
                "priority": k,
                "isRestricted": False,
            }
            for k, queue in enumerate(self.catalogue.queues)
        ]

    def queue_members(self, queue_id: str) -> list[dict[str, Any]] | None:
        members = self._queue_members.get(queue_id)
        if members is None:
            return None
        return [
            {"agentId": agent_id, "priority": priority}
            for agent_id, priority in members
            if agent_id not in self._deleted
        ]

    def tags(self, include_deactivated: bool) -> list[dict[str, Any]]:
        out = []
        for k, tag in enumerate(self.catalogue.tags):
            if tag.is_deactivated and not include_deactivated:
                continue
            item: dict[str, Any] = {
                "id": tag.id,
                "name": tag.name,
                "state": "Inactive" if tag.is_deactivated else "Active",
            }
            if (color := _COLORS[k % len(_COLORS)]) is not None:
                item["color"] = color
            out.append(item)
        return out


def _iso_day(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-09T08:00:00Z"
