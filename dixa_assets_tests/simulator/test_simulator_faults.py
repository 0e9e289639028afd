"""Every fault kind is observable by a real HTTP client; scripted and random plans behave."""

from __future__ import annotations

import email.utils
import json
from datetime import date

import httpx
import pytest

from dixa_assets.simulator import FAULT_KINDS, DeadPort, Gateway, SimulatorServer
from dixa_assets.simulator.faults import FaultPlan
from dixa_assets.simulator.utc import DAY_MS, day_start_ms
from dixa_assets_tests.simulator.support import HTTP, TOKEN, ServerFactory

CONVERSATIONS = "/v1/conversation_export"
MESSAGES = "/v1/message_export"
WINDOW = {"created_after": "2024-01-10", "created_before": "2024-01-11"}


def _get(server: SimulatorServer, path: str = MESSAGES, timeout: float = 10) -> httpx.Response:
    return HTTP.get(
        server.url + path,
        params=WINDOW,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("retry_after_format", "check"),
    [
        ("seconds", lambda value: value == "7"),
        ("http-date", lambda value: email.utils.parsedate_to_datetime(value) is not None),
        ("absent", lambda value: value is None),
    ],
)
def test_429_with_each_retry_after_style(
    server: SimulatorServer, retry_after_format, check
) -> None:
    server.faults.inject("429", retry_after=7, retry_after_format=retry_after_format)
    response = _get(server)
    assert response.status_code == 429
    assert check(response.headers.get("retry-after"))
    assert _get(server).status_code == 200


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("500", "application/json"), ("503", "application/json"), ("502", "text/html"),
     ("504", "text/html"), ("401", "application/json"), ("403", "application/json"),
     ("404", "application/json")],
)  # fmt: skip
def test_error_statuses(server: SimulatorServer, kind: str, content_type: str) -> None:
    server.faults.inject(kind)
    response = _get(server)
    assert response.status_code == int(kind)
    assert response.headers["content-type"].startswith(content_type)
    assert int(response.headers["content-length"]) == len(response.content)


def test_400_carries_its_message(server: SimulatorServer) -> None:
    server.faults.inject("400", message="Invalid date range")
    assert _get(server).json() == {"message": "Invalid date range"}


def test_slow_triggers_read_timeouts(server: SimulatorServer) -> None:
    server.faults.inject("slow", seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        _get(server, timeout=0.3)
    server.faults.inject("slow", seconds=0.2)
    assert _get(server).status_code == 200


def test_drop_closes_without_a_response(server: SimulatorServer) -> None:
    server.faults.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        _get(server)
    assert server.request_log[-1].status == 0


def test_drop_mid_body_sends_half_the_promised_body(server: SimulatorServer) -> None:
    server.faults.inject("drop_mid_body")
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        _get(server)
    full = _get(server).content
    assert server.request_log[-2].response_bytes == len(full) // 2


def test_outside_window_adds_records_on_and_beyond_the_bounds(server: SimulatorServer) -> None:
    real = _get(server).json()
    server.faults.inject("outside_window")
    answer = _get(server).json()
    after = day_start_ms(date.fromisoformat(WINDOW["created_after"]))
    before = day_start_ms(date.fromisoformat(WINDOW["created_before"]))
    assert answer[: len(real)] == real
    added = answer[len(real) :]
    assert [m["created_at"] for m in added] == [after, before, after - DAY_MS, before + DAY_MS]
    ids = [m["id"] for m in answer]
    assert len(set(ids)) == len(ids)


def test_truncate_is_invalid_json_with_matching_length(server: SimulatorServer) -> None:
    server.faults.inject("truncate")
    response = _get(server)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_html_200_and_object_200(server: SimulatorServer) -> None:
    server.faults.inject("html_200")
    server.faults.inject("object_200")
    html = _get(server)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    wrapped = _get(server)
    assert wrapped.status_code == 200
    assert wrapped.json() == {"data": _get(server).json()}


def test_scripted_faults_target_an_endpoint_in_order(server: SimulatorServer) -> None:
    server.faults.inject("503", count=2, endpoint="message_export")
    server.faults.inject("500", endpoint="/v1/message_export")
    assert _get(server, CONVERSATIONS).status_code == 200
    assert [_get(server).status_code for _ in range(4)] == [503, 503, 500, 200]
    assert server.faults.injected == {"503": 2, "500": 1}
    assert server.faults.pending == 0


def test_random_plan_is_reproducible(start_server: ServerFactory) -> None:
    sequences = []
    for _ in range(2):
        server = start_server()
        server.faults.set_random(0.5, seed=11, kinds=["500", "503", "429"], retry_after=0)
        sequences.append([_get(server).status_code for _ in range(20)])
    assert sequences[0] == sequences[1]
    assert {500, 503, 429, 200} == set(sequences[0])
    server.faults.clear()
    assert all(_get(server).status_code == 200 for _ in range(5))


def test_faults_via_the_control_endpoint(server: SimulatorServer) -> None:
    server.faults.inject("500", count=2)  # "clear" drops these
    plan = {"clear": True, "inject": [{"kind": "429", "count": 1, "retry_after": 3}]}
    assert HTTP.post(server.url + "/_sim/faults", json=plan).json() == {"faults_pending": 1}
    assert _get(server).headers["retry-after"] == "3"
    HTTP.post(server.url + "/_sim/faults", json={"random": {"rate": 1.0, "seed": 1,
                                                              "kinds": ["502"]}})  # fmt: skip
    assert _get(server).status_code == 502
    stats = HTTP.get(server.url + "/_sim/stats").json()
    assert stats["faults_injected"] == {"429": 1, "502": 1}


def test_unknown_kinds_and_parameters_are_refused() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.inject("418")
    with pytest.raises(ValueError):
        plan.inject("500", seconds=3)
    with pytest.raises(ValueError):
        plan.inject("429", retry_after_format="soon")
    assert len(FAULT_KINDS) == 17


def test_payload_200_answers_with_the_given_json() -> None:
    plan = FaultPlan()
    plan.inject("payload_200", payload=[{"id": 1}])
    fault = plan.next_fault("/v1/message_export")
    assert fault is not None and fault.params == {"payload": [{"id": 1}]}


def test_a_gateway_fails_answers_over_its_record_limit(server: SimulatorServer) -> None:
    whole = len(_get(server).json())
    assert whole > 2, "the test day should hold several messages"
    server.gateway = Gateway(max_records=whole - 1, delay_s=0.05)
    refused = _get(server)
    assert refused.status_code == 504
    assert server.request_log[-1].fault == "gateway"
    server.gateway = Gateway(max_records=whole)
    assert len(_get(server).json()) == whole  # at the limit: through


@pytest.mark.parametrize("failure", ["truncate", "drop_mid_body", "502"])
def test_a_gateway_can_cut_bodies_short_instead(server: SimulatorServer, failure: str) -> None:
    server.gateway = Gateway(max_records=0, failure=failure)
    try:
        response = _get(server)
    except httpx.RemoteProtocolError:
        assert failure == "drop_mid_body"
        return
    assert failure != "drop_mid_body"
    if failure == "502":
        assert response.status_code == 502
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)


def test_the_gateway_is_set_and_removed_over_http(server: SimulatorServer) -> None:
    control = server.url + "/_sim/gateway"
    answer = HTTP.post(control, json={"max_records": 3, "delay_s": 0.5})
    assert answer.json()["gateway"] == {"max_records": 3, "delay_s": 0.5, "failure": "504"}
    assert server.gateway == Gateway(3, 0.5)
    assert HTTP.post(control, json={"max_records": 3, "failure": "nope"}).status_code == 400
    HTTP.post(control, json={})
    assert server.gateway is None


def test_a_dead_port_refuses_connections() -> None:
    with DeadPort() as dead, pytest.raises(httpx.ConnectError):
        HTTP.get(dead.url + MESSAGES, timeout=5)
