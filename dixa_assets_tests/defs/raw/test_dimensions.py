"""Dimension snapshots keep history: an agent who changes team between two snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq

from dixa_assets.ingest.dimensions import DIMENSIONS
from dixa_assets.lake.parquet import ParquetLake
from dixa_assets_tests.conftest import make_settings, run_assets

NAMES = [d.name for d in DIMENSIONS]
MARCH_1, MARCH_10 = "2025-03-01T00:00:00+00:00", "2025-03-10T00:00:00+00:00"


def snapshot(settings: Any, as_of: str, **options: Any) -> Any:
    config = {"ops": {name: {"config": {"as_of": as_of}} for name in NAMES}}
    return run_assets(settings, NAMES, None, run_config=config, **options)


def history(settings: Any, name: str) -> list[dict[str, Any]]:
    path = ParquetLake(settings.data_dir).path(name, "history")
    return pq.read_table(path).to_pylist()


def ms(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_an_agent_changing_team_between_two_snapshots(main_sim: Any, tmp_path: Any) -> None:
    settings = make_settings(tmp_path, main_sim)
    directory = main_sim.main_api.directory
    tier1, tier2 = directory.teams[0].id, directory.teams[1].id
    mover = next(a.id for a in directory.catalogue.agents if directory.team_of(a.id) == tier1)
    gone = next(a.id for a in directory.catalogue.agents if a.id != mover)
    snapshot(settings, MARCH_1)
    first = history(settings, "dixa_teams")
    assert len(first) == 25 and all(r["valid_to"] is None for r in first)
    directory.move_agent(mover, tier2)
    directory.delete_agent(gone)
    result = snapshot(settings, MARCH_10)
    teams = history(settings, "dixa_teams")
    mine = sorted((r for r in teams if r["agent_id"] == mover), key=lambda r: r["valid_from"])
    assert [(r["team_id"], r["valid_from"], r["valid_to"]) for r in mine] == [
        (tier1, ms(MARCH_1), ms(MARCH_10)),
        (tier2, ms(MARCH_10), None),
    ]
    # Everyone else's membership is one unbroken version since the first snapshot.
    others = [r for r in teams if r["agent_id"] not in (mover, gone)]
    assert len(others) == 23 and all(r["valid_to"] is None for r in others)
    agents = {r["id"]: r for r in history(settings, "dixa_agents")}
    assert agents[gone]["valid_to"] == ms(MARCH_10) and agents[mover]["valid_to"] is None
    assert len(agents) == 25
    queues = history(settings, "dixa_queues")
    assert {r["valid_to"] for r in queues if r["agent_id"] == gone} == {ms(MARCH_10)}
    metadata = result.asset_materializations_for_node("dixa_teams")[0].metadata
    assert metadata["versions_opened"].value == 1 and metadata["versions_closed"].value == 2
    path = ParquetLake(settings.data_dir).path("dixa_teams", "history")
    assert metadata["dagster/uri"].value == path.absolute().as_uri()
    # The same state again changes nothing; a snapshot dated before the last one is refused.
    snapshot(settings, "2025-03-11T00:00:00+00:00")
    assert history(settings, "dixa_teams") == teams
    late = snapshot(settings, MARCH_1, raise_on_error=False)
    assert not late.success
    assert history(settings, "dixa_teams") == teams
