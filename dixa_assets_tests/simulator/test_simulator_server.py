"""The HTTP server: auth, validation, bound modes, ground truth, rate limit, clock, controls."""

from __future__ import annotations

import base64
import time
from datetime import date

import httpx
import orjson
import pytest

from dixa_assets.simulator import BOUNDS, Organisation, SimulatorServer
from dixa_assets.simulator.utc import DAY_MS, day_start_ms
from dixa_assets.simulator.wire import dumps
from dixa_assets_tests.simulator.support import HTTP, TOKEN, ServerFactory, small_organisation

DAY = day_start_ms(date(2024, 1, 10))
NEXT_DAY = DAY + DAY_MS


def _wire(records: list[dict]) -> list[dict]:
    """Records as a client sees them after JSON decoding."""
    return orjson.loads(dumps(records))


def _get(server: SimulatorServer, path: str, **params: object) -> httpx.Response:
    return HTTP.get(
        server.url + path, params=params, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )


def test_export_is_a_json_array_with_content_length(client: httpx.Client) -> None:
    response = client.get(
        "/v1/conversation_export", params={"updated_after": DAY, "updated_before": NEXT_DAY}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    records = response.json()
    assert isinstance(records, list) and records
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


def test_connections_are_kept_alive(client: httpx.Client) -> None:
    events: list[str] = []
    for _ in range(3):
        response = client.get(
            "/v1/message_export",
            params={"created_after": DAY, "created_before": NEXT_DAY},
            extensions={"trace": lambda name, info: events.append(name)},
        )
        assert response.headers.get("connection", "").lower() != "close"
    assert events.count("connection.connect_tcp.complete") == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic x"}],
)
def test_missing_or_wrong_token_is_401(server: SimulatorServer, headers: dict[str, str]) -> None:
    response = HTTP.get(
        server.url + "/v1/conversation_export",
        params={"csids": "10001"},
        headers=headers,
    )
    assert response.status_code == 401
    assert "message" in response.json()
    assert TOKEN not in response.text and "wrong" not in response.text


LEGACY_BASIC = "Basic " + base64.b64encode(f"bearer:{TOKEN}".encode()).decode()


@pytest.mark.parametrize("enabled", [False, True])
def test_legacy_basic_auth_is_accepted_only_when_enabled(
    start_server: ServerFactory, enabled: bool
) -> None:
    server = start_server(accept_legacy_basic_auth=enabled)

    def status(authorization: str) -> int:
        response = HTTP.get(
            server.url + "/v1/conversation_export",
            params={"csids": "10001"},
            headers={"Authorization": authorization},
        )
        return response.status_code

    assert status(LEGACY_BASIC) == (200 if enabled else 401)
    assert status(f"Bearer {TOKEN}") == 200
    wrong = base64.b64encode(b"bearer:wrong").decode()
    assert status(f"Basic {wrong}") == 401
    assert status("Basic " + base64.b64encode(TOKEN.encode()).decode()) == 401


def test_validation_errors(client: httpx.Client) -> None:
    too_long = client.get(
        "/v1/conversation_export",
        params={"updated_after": "2024-01-01", "updated_before": "2024-02-02"},
    )
    assert too_long.status_code == 400 and "31 days" in too_long.json()["message"]
    bad_date = client.get(
        "/v1/message_export", params={"created_after": "01/01/2024", "created_before": "2024-01-02"}
    )
    assert bad_date.status_code == 400 and "created_after" in bad_date.json()["message"]
    missing = client.get("/v1/message_export", params={"created_after": "2024-01-01"})
    assert missing.status_code == 400
    many = client.get("/v1/conversation_export", params={"csids": ",".join(map(str, range(11)))})
    assert many.status_code == 422
    assert many.json() == {"message": "Exceeded max allowed 10 csids per request"}
    assert client.get("/v1/nope").status_code == 404


def test_csids_return_those_conversations_as_of_now(
    organisation: Organisation, start_server: ServerFactory
) -> None:
    server = start_server(organisation)
    wanted = [10_500, 10_002, 10_041, 99_999_999]
    response = _get(server, "/v1/conversation_export", csids=",".join(map(str, wanted)))
    assert response.json() == _wire([organisation.conversation(c) for c in sorted(wanted[:3])])


@pytest.mark.parametrize("bounds", BOUNDS)
def test_bound_modes_on_exact_midnight_records(start_server: ServerFactory, bounds: str) -> None:
    organisation = small_organisation()
    server = start_server(organisation, bounds=bounds)
    includes_after = bounds != "exclusive"
    includes_before = bounds == "inclusive"
    for field in ("created", "updated", "closed", "last_message_created"):
        at_after = {r["id"] for r in organisation.conversations(DAY, DAY + 1, f"{field}_at")}
        at_before = {
            r["id"] for r in organisation.conversations(NEXT_DAY, NEXT_DAY + 1, f"{field}_at")
        }
        assert at_after and at_before, field
        params = {f"{field}_after": DAY, f"{field}_before": NEXT_DAY}
        got = {r["id"] for r in _get(server, "/v1/conversation_export", **params).json()}
        assert got & at_after == (at_after if includes_after else set()), field
        assert got & at_before == (at_before if includes_before else set()), field
    messages = _get(server, "/v1/message_export", created_after=DAY, created_before=NEXT_DAY)
    created = [m["created_at"] for m in messages.json()]
    assert (DAY in created) is includes_after
    assert (NEXT_DAY in created) is includes_before
    assert all(DAY <= c <= NEXT_DAY for c in created)


def test_ground_truth_matches_the_endpoints_in_half_open_mode(start_server: ServerFactory) -> None:
    organisation = small_organisation()
    server = start_server(organisation, bounds="half_open")
    windows = [(DAY, NEXT_DAY), (DAY + 3_600_000, DAY + 5 * DAY_MS), (DAY - 7 * DAY_MS, DAY)]
    for start, end in windows:
        for field in ("created", "updated", "closed", "last_message_created"):
            truth = organisation.conversations(start, end, f"{field}_at")
            got = _get(
                server, "/v1/conversation_export", **{f"{field}_after": start,
                                                       f"{field}_before": end}
            ).json()  # fmt: skip
            assert got == _wire(truth), (field, start, end)
            ids = _get(
                server, "/_sim/truth/conversations", field=f"{field}_at", start_ms=start,
                end_ms=end,
            ).json()  # fmt: skip
            assert ids == [r["id"] for r in truth]
        truth_messages = organisation.messages(start, end)
        got = _get(server, "/v1/message_export", created_after=start, created_before=end).json()
        assert got == _wire(truth_messages)
        ids = _get(server, "/_sim/truth/messages", start_ms=start, end_ms=end).json()
        assert ids == [m["id"] for m in truth_messages]


def test_identical_queries_get_identical_bytes(client: httpx.Client) -> None:
    params = {"created_after": "2024-01-03", "created_before": "2024-01-05"}
    first = client.get("/v1/message_export", params=params).content
    assert client.get("/v1/message_export", params=params).content == first


def test_rate_limit_answers_429_with_retry_after(start_server: ServerFactory) -> None:
    server = start_server(requests_per_minute=2)
    statuses = [_get(server, "/v1/conversation_export", csids="10001") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    # Whole seconds until the next token: 30 if the three requests took no time at all; the
    # exact arithmetic is the bucket's, tested with a fake clock in test_simulator_ratelimit.
    assert 0 < int(statuses[2].headers["retry-after"]) <= 30
    assert "message" in statuses[2].json()


def test_latency_is_added_to_export_requests(start_server: ServerFactory) -> None:
    server = start_server(latency_ms=150)
    started = time.monotonic()
    assert _get(server, "/v1/conversation_export", csids="10001").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_clock_control_moves_updated_at(start_server: ServerFactory) -> None:
    organisation = small_organisation(now_ms=DAY + 12 * 3_600_000)
    server = start_server(organisation)
    params = {"created_after": DAY, "created_before": NEXT_DAY}
    before = {r["id"]: r for r in _get(server, "/v1/conversation_export", **params).json()}
    assert HTTP.post(server.url + "/_sim/clock", json={"now_ms": NEXT_DAY + DAY_MS}).json() == {
        "now_ms": NEXT_DAY + DAY_MS
    }
    assert HTTP.get(server.url + "/_sim/clock").json()["now_ms"] == organisation.now_ms
    after = {r["id"]: r for r in _get(server, "/v1/conversation_export", **params).json()}
    assert set(before) < set(after)
    assert any(after[c]["updated_at"] > before[c]["updated_at"] for c in before)


def test_control_endpoints(server: SimulatorServer, client: httpx.Client) -> None:
    assert client.get("/_sim/health").json() == {"status": "ok"}
    client.get("/v1/conversation_export", params={"csids": "10001"})
    client.get("/v1/conversation_export", params={"csids": ",".join(map(str, range(11)))})
    stats = client.get("/_sim/stats").json()
    assert stats["requests"]["/v1/conversation_export"] == {"200": 1, "422": 1}
    assert stats["export_requests"] == server.export_request_count == 2
    entry = server.request_log[0]
    assert (entry.endpoint, entry.params, entry.status) == (
        "/v1/conversation_export", {"csids": "10001"}, 200,
    )  # fmt: skip
    server.reset_log()
    assert server.export_request_count == 0
    bad = client.post("/_sim/faults", json={"inject": [{"kind": "nonsense"}]})
    assert bad.status_code == 400
    assert client.get("/_sim/truth/conversations", params={"field": "x"}).status_code == 400


def test_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SimulatorServer(small_organisation(), token=TOKEN, host="0.0.0.0")


def test_stop_closes_kept_alive_connections(start_server: ServerFactory) -> None:
    server = start_server()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert http.get("/v1/conversation_export", params={"csids": "10001"}).status_code == 200
        server.stop()
        with pytest.raises(httpx.TransportError):
            http.get("/v1/conversation_export", params={"csids": "10001"})
