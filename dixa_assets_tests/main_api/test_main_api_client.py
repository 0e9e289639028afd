"""The main API client against the simulator over HTTP, compared with its ground truth."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from dixa_assets.exports_api import Window
from dixa_assets.main_api import (
    AuthenticationError,
    InsecureTransportError,
    MainApiClient,
    PaginationError,
    RetriesExhausted,
    format_param,
    parse_timestamp,
)
from dixa_assets_tests.conftest import TOKEN, day_ms

WEEK = Window(day_ms("2025-03-03")[0], day_ms("2025-03-10")[0])


def client_for(sim: Any, token: str = TOKEN, **options: Any) -> MainApiClient:
    defaults = {"requests_per_second": None, "backoff_s": 0.01, "max_attempts": 4}
    return MainApiClient(token, sim.url + "/v1", **{**defaults, **options})


def fetch(client: MainApiClient, window: Window) -> list[dict[str, Any]]:
    return [entry for page in client.activity_log(window) for entry in page]


@pytest.mark.parametrize("form", ["relative", "absolute"])
def test_a_week_across_pages_equals_the_truth_once(main_sim: Any, form: str) -> None:
    main_sim.main_api.options.next_form = form
    main_sim.main_api.options.last_page_next = "null" if form == "absolute" else "absent"
    with client_for(main_sim, page_limit=250) as client:
        entries = fetch(client, WEEK)
    truth = main_sim.main_api.truth_activity(WEEK.start_ms, WEEK.end_ms)
    assert [e["id"] for e in entries] == [t.id for t in truth]
    assert [e["activity_ms"] for e in entries] == [t.at for t in truth]
    assert client.pages == -(-len(truth) // 250) > 3
    # toDatetime is inclusive by default: an entry on the end bound is dropped, not kept twice.
    assert client.metrics.edge_records == sum(
        1 for t in main_sim.main_api.truth_activity(WEEK.end_ms, WEEK.end_ms + 1)
    )


def test_gmt_suffix_and_bearer_only_api(main_sim: Any) -> None:
    options = main_sim.main_api.options
    options.timestamp_suffix, options.auth, options.to_inclusive = "Z[GMT]", "bearer", False
    day = Window(*day_ms("2025-03-04"))
    with client_for(main_sim) as client:
        entries = fetch(client, day)
        assert client.metrics.status_counts == {"200": 1, "401": 1}
        fetch(client, day)  # the form that worked is kept: no second 401
        assert client.metrics.status_counts == {"200": 2, "401": 1}
    assert [e["id"] for e in entries] == [
        t.id for t in main_sim.main_api.truth_activity(day.start_ms, day.end_ms)
    ]


def test_a_refused_token_fails_at_once_without_the_token(main_sim: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(main_sim, token="wrong-secret-123")
    with client, pytest.raises(AuthenticationError, match="DIXA_API_TOKEN") as raised:
        client.teams()
    assert "wrong-secret-123" not in str(raised.value) + caplog.text
    assert client.metrics.requests == 2  # raw, then Bearer


def test_plain_http_to_another_host_is_refused() -> None:
    with pytest.raises(InsecureTransportError, match="clear text"):
        MainApiClient(TOKEN, "http://dev.example.com/v1")
    MainApiClient(TOKEN, "http://dev.example.com/v1", allow_insecure_http=True).close()


def test_429_and_5xx_bursts_are_retried_honouring_retry_after(main_sim: Any) -> None:
    main_sim.main_api.options.scripted_statuses = [429, 429, 503, 429]
    main_sim.main_api.options.retry_after = "seconds"
    slept: list[float] = []
    day = Window(*day_ms("2025-03-05"))
    with client_for(main_sim, max_attempts=6, sleep=slept.append) as client:
        entries = fetch(client, day)
    assert [e["id"] for e in entries] == [
        t.id for t in main_sim.main_api.truth_activity(day.start_ms, day.end_ms)
    ]
    assert client.metrics.retries == 4
    assert slept.count(1.0) == 3  # Retry-After: 1 on each 429; the 503 backs off on its own
    main_sim.main_api.options.scripted_statuses = [503] * 3
    client = client_for(main_sim, max_attempts=3, sleep=slept.append)
    with client, pytest.raises(RetriesExhausted, match="HTTP 503"):
        client.queues()


def test_paced_client_never_trips_the_real_limit(main_sim: Any) -> None:
    main_sim.main_api.options.requests_per_second = 10.0
    main_sim.reset_log()
    with client_for(main_sim, requests_per_second=10.0, page_limit=100) as client:
        fetch(client, Window(*day_ms("2025-03-06")))
        for team in client.teams():
            client.team_members(team["id"])
    statuses = [e.status for e in main_sim.request_log]
    assert len(statuses) >= 6 and set(statuses) == {200}


def test_a_repeated_page_key_fails_instead_of_looping(main_sim: Any) -> None:
    main_sim.main_api.options.repeat_next = True
    client = client_for(main_sim, page_limit=50)
    with client, pytest.raises(PaginationError, match="repeats"):
        fetch(client, WEEK)
    assert client.metrics.requests == 2  # page 1, then page 2 pointing at itself


def test_drifted_types_are_kept_as_sent(main_sim: Any) -> None:
    main_sim.main_api.options.drift = True
    day = Window(*day_ms("2025-03-04"))
    with client_for(main_sim) as client:
        entries = fetch(client, day)
    types = {e["_type"] for e in entries}
    assert "ConversationSummaryGenerated" in types
    assert any("assignmentReason" in (e.get("attributes") or {}) for e in entries)


def test_dimensions_and_a_deleted_team(main_sim: Any) -> None:
    with client_for(main_sim, page_limit=10) as client:
        agents = client.agents()
        assert len(agents) == 25 and client.pages == 3
        assert client.team_members("no-such-team") is None
        assert {t["state"] for t in client.tags()} == {"Active", "Inactive"}


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2021-12-01T12:46:36.581Z[GMT]", 1638362796581),
        ("2021-12-01T12:46:36Z", 1638362796000),
        ("2021-12-01T13:46:36.5+01:00", 1638362796500),
        ("2021-12-01T12:46:36.581000Z", 1638362796581),
    ],
)
def test_timestamp_forms(text: str, ms: int) -> None:
    assert parse_timestamp(text) == ms


def test_unreadable_timestamps_and_params() -> None:
    for bad in ("2021-12-01 12:46", 1638362796581, "2021-12-01T12:46:36.5811Z"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
    assert format_param(1638362796000) == "2021-12-01T12:46:36Z"
    assert format_param(1638362796581) == "2021-12-01T12:46:36.581Z"
