"""The simulated main API: an activity log consistent with the export, its pagination, rate
limit and switches, and dimensions that change between snapshots."""

from __future__ import annotations

from collections import Counter
from datetime import date

import httpx
import pytest

from dixa_assets.simulator import SimulatorServer
from dixa_assets.simulator.main_api import (
    MainApiOptions,
    parse_datetime_param,
    render_timestamp,
    set_option,
)
from dixa_assets.simulator.utc import DAY_MS, day_start_ms
from dixa_assets_tests.simulator.support import TOKEN, ServerFactory

FEB_1 = day_start_ms(date(2024, 2, 1))
FEB_8 = FEB_1 + 7 * DAY_MS
WINDOW = {"fromDatetime": "2024-02-01T00:00:00Z", "toDatetime": "2024-02-08T00:00:00Z"}


def _client(server: SimulatorServer, auth: str = TOKEN) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/v1", headers={"Authorization": auth}, timeout=10)


def _unpaced(start_server: ServerFactory) -> SimulatorServer:
    server = start_server()
    server.main_api.options.requests_per_second = None
    return server


def test_activity_log_matches_every_export_record(start_server: ServerFactory) -> None:
    server = _unpaced(start_server)
    org = server.organisation
    # Conversations created in the week whose whole life lies before the clock.
    conversations = org.conversations(FEB_1, FEB_8, "created_at")
    entries = server.main_api.activity.between(FEB_1, FEB_8 + 10 * DAY_MS, drift=False)
    by_csid: dict[int, list] = {}
    for entry in entries:
        by_csid.setdefault(entry.csid, []).append(entry)
    messages = Counter(m["csid"] for m in org.messages(FEB_1, FEB_8 + 10 * DAY_MS))
    for record in conversations:
        mine = by_csid[record["id"]]
        kinds = Counter(e.type for e in mine)
        created = [e for e in mine if e.type.startswith("ConversationCreatedBy")]
        assert [e.at for e in created] == [record["created_at"]]
        if record.get("status") == "closed":
            assert max(e.at for e in mine if e.type == "ConversationClosed") == record["closed_at"]
            reopens = kinds["ConversationReopened"]
            assert kinds["ConversationClosed"] == 1 + reopens
        else:
            assert "ConversationClosed" not in kinds
        if record.get("assignee_id"):
            last = max((e for e in mine if e.type == "ConversationAssigned"), key=lambda e: e.at)
            assert last.attributes["agentId"] == record["assignee_id"]
            assert last.at == record["assigned_at"]
        if record.get("transfer_time") is not None:
            transfer = [e for e in mine if e.type == "TransferSuccessful"]
            assert [e.at for e in transfer] == [int(record["transfer_time"])]
        added = kinds["MessageAddedByAgent"] + kinds["MessageAddedByCustomer"]
        assert added + kinds["ConversationAutoreplySent"] == messages[record["id"]]
    assert Counter(e.type for e in entries)["ConversationReopened"] > 0


def test_pagination_serves_the_truth_once_in_both_link_forms(start_server: ServerFactory) -> None:
    server = _unpaced(start_server)
    truth = [e.id for e in server.main_api.truth_activity(FEB_1, FEB_8)]
    for form, end in (("relative", "absent"), ("absolute", "null")):
        server.main_api.options.next_form = form  # type: ignore[assignment]
        server.main_api.options.last_page_next = end  # type: ignore[assignment]
        server.main_api.options.to_inclusive = False
        seen: list[str] = []
        with _client(server) as http:
            page = http.get("/conversations/activitylog", params={**WINDOW, "pageLimit": "500"})
            pages = 1
            while True:
                body = page.json()
                seen.extend(item["id"] for item in body["data"])
                link = body["meta"].get("next")
                if link is None:
                    assert ("next" in body["meta"]) == (end == "null")
                    break
                assert link.startswith("http://") == (form == "absolute")
                page = http.get(link if form == "absolute" else server.url + link)
                pages += 1
        assert seen == truth
        assert pages == -(-len(truth) // 500) > 2


def test_rate_limit_bursts_four_then_429(start_server: ServerFactory) -> None:
    server = start_server()
    server.main_api.options.retry_after = "seconds"
    with _client(server) as http:
        statuses = [http.get("/teams") for _ in range(8)]
    codes = [r.status_code for r in statuses]
    assert codes[:4] == [200] * 4 and 429 in codes
    assert next(r for r in statuses if r.status_code == 429).headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("mode", "accepted"),
    [("raw", {TOKEN}), ("bearer", {f"Bearer {TOKEN}"}), ("either", {TOKEN, f"Bearer {TOKEN}"})],
)
def test_auth_forms(start_server: ServerFactory, mode: str, accepted: set[str]) -> None:
    server = _unpaced(start_server)
    server.main_api.options.auth = mode  # type: ignore[assignment]
    for form in (TOKEN, f"Bearer {TOKEN}", "wrong"):
        with _client(server, form) as http:
            assert (http.get("/tags").status_code == 200) == (form in accepted)


def test_timestamp_forms_and_drift_switch(start_server: ServerFactory) -> None:
    assert render_timestamp(1706745600000) == "2024-02-01T00:00:00Z"
    assert render_timestamp(1706745600123, "Z[GMT]") == "2024-02-01T00:00:00.123Z[GMT]"
    assert parse_datetime_param("2024-02-01T00:00:00.123Z[GMT]") == 1706745600123
    server = _unpaced(start_server)
    plain = server.main_api.truth_activity(FEB_1, FEB_8)
    server.main_api.options.drift = True
    drifted = server.main_api.truth_activity(FEB_1, FEB_8)
    assert {e.type for e in drifted} - {e.type for e in plain} == {"ConversationSummaryGenerated"}
    assert any(e.extra_attributes for e in drifted)


def test_dimensions_change_between_snapshots(start_server: ServerFactory) -> None:
    server = _unpaced(start_server)
    directory = server.main_api.directory
    with _client(server) as http:
        teams = http.get("/teams").json()["data"]
        before = {t["id"]: {m["id"] for m in http.get(f"/teams/{t['id']}/agents").json()["data"]}
                  for t in teams}  # fmt: skip
        agent = next(iter(before[teams[0]["id"]]))
        directory.move_agent(agent, teams[1]["id"])
        after_first = {m["id"] for m in http.get(f"/teams/{teams[0]['id']}/agents").json()["data"]}
        after_second = {m["id"] for m in http.get(f"/teams/{teams[1]['id']}/agents").json()["data"]}
        assert agent not in after_first and agent in after_second
        directory.delete_agent(agent)
        agents = http.get("/agents", params={"pageLimit": "1000"}).json()["data"]
        assert agent not in {a["id"] for a in agents} and len(agents) == 24
        queue = http.get("/queues").json()["data"][0]["id"]
        assert http.get(f"/queues/{queue}/members").json()["data"][0].keys() == {
            "agentId",
            "priority",
        }
        assert http.get("/queues/nope/members").status_code == 404
        active = http.get("/tags").json()["data"]
        every = http.get("/tags", params={"includeDeactivated": "true"}).json()["data"]
        assert len(active) < len(every)


def test_switches_from_the_command_line() -> None:
    options = MainApiOptions()
    for assignment in ("auth=bearer", "drift=true", "max_page_limit=50",
                       "requests_per_second=none", "timestamp_suffix=Z[GMT]"):  # fmt: skip
        set_option(options, assignment)
    assert (options.auth, options.drift, options.max_page_limit) == ("bearer", True, 50)
    assert options.requests_per_second is None and options.timestamp_suffix == "Z[GMT]"
    for bad in ("auth=basic", "drift=yes", "colour=red", "max_page_limit=many"):
        with pytest.raises(ValueError):
            set_option(options, bad)
