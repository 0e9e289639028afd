"""The simulator's control endpoints under `/_sim/`: clock, faults, gateway, stats, truth.

They let another process (the demo, a benchmark) steer a running server and read its ground
truth. They need no token, which is acceptable only because the server binds to loopback alone
and answers them only to loopback clients.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from dixa_assets.simulator.anonymization import ANONYMIZATION_PATHS, anonymization_control
from dixa_assets.simulator.api import STATUS_MESSAGES, error_body
from dixa_assets.simulator.faults import FaultPlan
from dixa_assets.simulator.gateway import Gateway
from dixa_assets.simulator.organisation import TRUTH_FIELDS
from dixa_assets.simulator.wire import dumps

if TYPE_CHECKING:
    from dixa_assets.simulator.http_plumbing import Handler
    from dixa_assets.simulator.server import SimulatorServer


def control(server: SimulatorServer, handler: Handler, method: str, path: str, query: str) -> None:
    if not ipaddress.ip_address(handler.client_address[0]).is_loopback:
        handler.send_body(403, error_body(STATUS_MESSAGES[403]))
        return
    try:
        status, payload = _control_payload(server, handler, method, path, query)
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as error:
        status, payload = 400, {"message": str(error)}
    handler.send_body(status, dumps(payload))


def _control_payload(
    server: SimulatorServer, handler: Handler, method: str, path: str, query: str
) -> tuple[int, Any]:
    params = dict(parse_qsl(query))
    org = server.organisation
    if path == "/_sim/health" and method == "GET":
        return 200, {"status": "ok"}
    if path == "/_sim/clock":
        if method == "POST":
            value = _read_json(handler).get("now_ms")
            if value is not None and not isinstance(value, int):
                raise ValueError("now_ms must be an integer or null")
            org.set_now(value)
        return 200, {"now_ms": org.now_ms}
    if path == "/_sim/faults" and method == "POST":
        _apply_fault_request(server.faults, _read_json(handler))
        return 200, {"faults_pending": server.faults.pending}
    if path == "/_sim/gateway" and method == "POST":
        server.gateway = Gateway.from_json(_read_json(handler) or None)
        return 200, {"gateway": None if server.gateway is None else vars(server.gateway)}
    if path == "/_sim/stats" and method == "GET":
        return 200, server.stats()
    if path == "/_sim/truth/conversations" and method == "GET":
        field = params.get("field", "updated_at")
        if field not in TRUTH_FIELDS:
            raise ValueError(f"field must be one of {', '.join(TRUTH_FIELDS)}")
        start, end = int(params["start_ms"]), int(params["end_ms"])
        return 200, [record["id"] for record in org.conversations(start, end, field)]
    if path == "/_sim/truth/messages" and method == "GET":
        start, end = int(params["start_ms"]), int(params["end_ms"])
        return 200, [record["id"] for record in org.messages(start, end)]
    if path.startswith(ANONYMIZATION_PATHS):
        body = _read_json(handler) if method == "POST" else {}
        return 200, anonymization_control(org, method, path, params, body)
    return 404, {"message": STATUS_MESSAGES[404]}


def _read_json(handler: Handler) -> dict[str, Any]:
    length = int(handler.headers.get("Content-Length") or 0)
    payload = orjson.loads(handler.rfile.read(length)) if length else {}
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    return payload


def _apply_fault_request(faults: FaultPlan, request: dict[str, Any]) -> None:
    """`{"clear": true, "inject": [{"kind", "count", "endpoint", ...params}], "random":
    {"rate", "seed", "kinds", ...params}}`, applied in that order."""
    if request.get("clear"):
        faults.clear()
    for item in request.get("inject", []):
        spec = dict(item)
        faults.inject(
            spec.pop("kind"), int(spec.pop("count", 1)), spec.pop("endpoint", None), **spec
        )
    if "random" in request:
        spec = dict(request["random"])
        faults.set_random(
            float(spec.pop("rate")), int(spec.pop("seed", 0)), spec.pop("kinds"), **spec
        )
