"""Always current: runs made by the schedules themselves, with the simulator's clock moving.

Each scenario evaluates the real schedule (Dagster's schedule API, at a given tick), runs what it
requests against the simulator, builds the modelled tables, moves the clock and does it again;
everything is compared with the simulator's ground truth at that moment:

* no conversation fetched once ever leaves the lake or ``dixa.conversations``, which holds each
  in its newest version; no message is an orphan because its conversation was updated;
* today is visible after a refresh, marked partial up to the server's clock, and replaced as it
  grows; once over, it is fetched as a complete day;
* a refresh costs one request per endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance, RunRequest, build_schedule_context, instance_for_test
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from dixa_assets.definitions import DAILY_JOB, build_definitions
from dixa_assets.defs.raw.schedules import REFRESH_SCHEDULE
from dixa_assets.exports_api import to_epoch_ms
from dixa_assets.settings import Settings
from dixa_assets_tests.conftest import day_ms, make_settings, run_assets

RAW = ("dixa_conversations", "dixa_messages")


@dataclass
class Deployment:
    """The project as deployed: settings, one Dagster instance, the simulator and its clock."""

    settings: Settings
    instance: DagsterInstance
    simulator: object

    def tick(self, schedule: str, when: datetime, tables: bool = False) -> tuple[str, str]:
        """Set the clock to ``when``, evaluate ``schedule`` there and run what it requests;
        with ``tables``, then the modelled tables for the same days (what automation does
        next: ``conversations`` is rebuilt whole from the lake, so once is enough)."""
        self.simulator.organisation.set_now(to_epoch_ms(when))
        defs = build_definitions(self.settings)
        # Closed here: an open context, collected later, would reset Dagster's current
        # instance storage to this instance's after it is gone.
        with build_schedule_context(instance=self.instance, scheduled_execution_time=when) as ctx:
            request = defs.resolve_schedule_def(schedule)(ctx)
        assert isinstance(request, RunRequest), request
        first = request.tags[ASSET_PARTITION_RANGE_START_TAG]
        last = request.tags[ASSET_PARTITION_RANGE_END_TAG]
        self.simulator.reset_log()
        self.last_raw = run_assets(self.settings, RAW, first, last, instance=self.instance)
        self.requests = len(self.simulator.request_log)
        if not tables:
            return first, last
        run_assets(self.settings, ["conversations"], None, instance=self.instance)
        self.last_messages = run_assets(
            self.settings, ["conversation_messages"], first, last, instance=self.instance
        )
        return first, last

    def stored(self, asset: str, day: str) -> list[dict]:
        path = f"{self.settings.data_dir}/{asset}/{day}.parquet"
        return pq.read_table(
            path, columns=["id", "updated_at" if "conv" in asset else "created_at"]
        ).to_pylist()

    def table(self, sql: str) -> list[tuple]:
        with duckdb.connect(self.settings.duckdb_path, read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture
def deployment_in(tmp_path, simulator, token_env):
    """``with deployment_in(timezone) as d``: the instance is entered and left in the test's
    own frame (Dagster keeps the current instance's storage in a context variable)."""

    @contextmanager
    def make(timezone: str) -> Iterator[Deployment]:
        settings = make_settings(tmp_path / timezone.replace("/", "_"), simulator, timezone)
        with instance_for_test() as instance:
            yield Deployment(settings, instance, simulator)

    return make


def days_between(first: str, last: str) -> list[str]:
    start = datetime.fromisoformat(first)
    count = (datetime.fromisoformat(last) - start).days + 1
    return [(start + timedelta(days=n)).date().isoformat() for n in range(count)]


def assert_lake_holds_newest_versions(deployment: Deployment, days: list[str]) -> None:
    """Each conversations day holds every conversation the API now has in it, in its current
    version, plus older versions of conversations updated since (now in a later day); each
    messages day is exactly the API's; across the lake the newest version of every id is the
    current one."""
    org = deployment.simulator.organisation
    tz = deployment.settings.timezone
    newest: dict[int, int] = {}
    for day in days:
        start, end = day_ms(day, tz)
        truth = {r["id"]: r["updated_at"] for r in org.conversations(start, end, "updated_at")}
        rows = deployment.stored("dixa_conversations", day)
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), f"an id twice in {day}"
        held = {row["id"]: row["updated_at"] for row in rows}
        for csid, updated_at in truth.items():
            assert held.get(csid) == updated_at, f"conversation {csid} of {day} not current"
        for csid in set(held) - set(truth):
            current = org.conversations_by_id([csid])[0]["updated_at"]
            assert start <= held[csid] < end <= current, f"{csid} kept in {day} but not moved"
        for csid, updated_at in held.items():
            newest[csid] = max(newest.get(csid, 0), updated_at)
        messages = {row["id"] for row in deployment.stored("dixa_messages", day)}
        assert messages == {m["id"] for m in org.messages(start, end)}, f"messages of {day}"
    current = {r["id"]: r["updated_at"] for r in org.conversations_by_id(newest)}
    assert newest == current


def assert_tables_current(deployment: Deployment, first: str, last: str) -> None:
    """``dixa.conversations`` has every conversation the lake has, once, in its current
    version; the messages of ``first...last`` all found their conversation."""
    org = deployment.simulator.organisation
    rows = deployment.table("SELECT id, updated_at FROM dixa.conversations")
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids))
    truth = {r["id"]: r["updated_at"] for r in org.conversations_by_id(ids)}
    assert dict(rows) == truth
    orphans = deployment.table(
        "SELECT count(*) FROM dixa.conversation_messages WHERE conversation_updated_at IS NULL"
    )[0][0]
    assert orphans == 0
    check = deployment.last_messages.get_asset_check_evaluations()
    assert all(e.passed for e in check if e.check_name == "conversations_known")
    tz = deployment.settings.timezone
    expected = {
        m["id"] for day in days_between(first, last) for m in org.messages(*day_ms(day, tz))
    }
    stored = {row[0] for row in deployment.table("SELECT id FROM dixa.conversation_messages")}
    assert expected <= stored


@pytest.mark.parametrize(
    ("timezone", "day"), [("UTC", "2025-03-14"), ("Europe/Copenhagen", "2025-03-29")]
)
def test_a_conversation_updated_after_its_day_never_vanishes(deployment_in, timezone, day):
    with deployment_in(timezone) as deployment:
        tz = ZoneInfo(timezone)
        evening = datetime.fromisoformat(day).replace(hour=23, tzinfo=tz)
        first, last = deployment.tick(REFRESH_SCHEDULE, evening)
        assert last == day, "the refresh fetches today"
        assert deployment.requests == 2, "one request per endpoint"
        before = {
            row["id"]: row["updated_at"] for row in deployment.stored("dixa_conversations", day)
        }

        # The next day (on the DST scenario: the 23-hour day), conversations of the evening's day
        # have been updated again; the next refresh no longer finds them in that day.
        next_day = evening + timedelta(hours=13)
        again_first, again_last = deployment.tick(REFRESH_SCHEDULE, next_day, tables=True)
        assert again_last == next_day.date().isoformat()
        moved = {
            csid
            for csid, updated_at in before.items()
            if deployment.simulator.organisation.conversations_by_id([csid])[0]["updated_at"]
            >= day_ms(day, timezone)[1]
        }
        assert moved, "the scenario needs conversations updated after their day"
        assert_lake_holds_newest_versions(deployment, days_between(first, again_last))
        assert_tables_current(deployment, again_first, again_last)

        # Whatever is re-fetched afterwards: the day alone again (say, from the UI). The versions
        # it no longer returns stay in it, and the table keeps the newest version of each.
        run_assets(deployment.settings, RAW, day, instance=deployment.instance)
        run_assets(deployment.settings, ["conversations"], None, instance=deployment.instance)
        assert moved <= {row["id"] for row in deployment.stored("dixa_conversations", day)}
        assert_lake_holds_newest_versions(deployment, days_between(first, again_last))
        assert_tables_current(deployment, again_first, again_last)


def test_today_is_refreshed_as_it_grows_then_fetched_complete(deployment_in):
    with deployment_in("UTC") as deployment:
        today = "2025-03-18"
        start, end = day_ms(today)
        for hour in (10, 16):
            when = datetime.fromisoformat(today).replace(hour=hour, tzinfo=ZoneInfo("UTC"))
            deployment.tick(REFRESH_SCHEDULE, when)
            assert deployment.requests == 2
            truth = deployment.simulator.organisation.conversations(start, end, "updated_at")
            held = deployment.stored("dixa_conversations", today)
            # Nothing can have left a day that is not over: the file is exactly the API's answer.
            assert sorted(r["id"] for r in held) == sorted(r["id"] for r in truth)
            day_meta = _day_metadata(deployment, "dixa_conversations", today)
            assert day_meta["complete"].value is False
            assert day_meta["fetched_until"].value == to_epoch_ms(when) / 1000
            assert day_meta["dagster/row_count"].value == len(truth)
            assert_lake_holds_newest_versions(deployment, [today])

        # Half an hour after the day ends, the daily schedule fetches it as a complete day.
        after = datetime.fromisoformat("2025-03-19").replace(minute=30, tzinfo=ZoneInfo("UTC"))
        first, last = deployment.tick(f"{DAILY_JOB}_schedule", after, tables=True)
        assert (first, last) == ("2025-03-16", "2025-03-19")
        assert _day_metadata(deployment, "dixa_conversations", today)["complete"].value is True
        assert _day_metadata(deployment, "dixa_messages", "2025-03-19")["complete"].value is False
        assert_lake_holds_newest_versions(deployment, days_between(first, last))
        assert_tables_current(deployment, first, last)


def _day_metadata(deployment: Deployment, asset: str, day: str) -> dict:
    events = deployment.last_raw.asset_materializations_for_node(asset)
    return next(e.metadata for e in events if e.partition == day)
