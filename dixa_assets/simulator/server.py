"""A real HTTP/1.1 server on loopback speaking the Dixa Exports API, with faults and controls.

Clients under test talk to it exactly as to exports.dixa.io: bearer auth, 429 with Retry-After,
keep-alive connections, one JSON array per window. Every response carries a Content-Length, so
keep-alive works and the wire-level faults (dropped connection, body cut short) are unambiguous.
Control endpoints under `/_sim/` let another process move the clock, script faults and read the
ground truth; they need no token, which is acceptable only because the server refuses to bind
anywhere but loopback.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hmac
import ipaddress
import logging
import socket
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import orjson

from dixa_assets.simulator.anonymization import ANONYMIZATION_PATHS, anonymization_control
from dixa_assets.simulator.api import EXPORT_PATHS, ApiResponse, ExportApi, error_body
from dixa_assets.simulator.faults import Fault, FaultPlan
from dixa_assets.simulator.filters import BOUNDS, Bounds, QueryError, parse_query_string
from dixa_assets.simulator.gateway import Gateway
from dixa_assets.simulator.main_api import MainApi
from dixa_assets.simulator.organisation import TRUTH_FIELDS, Organisation
from dixa_assets.simulator.outside_window import add_records_outside_window
from dixa_assets.simulator.ratelimit import TokenBucket
from dixa_assets.simulator.request_log import Arrival, RequestLog, RequestLogEntry
from dixa_assets.simulator.wire import dumps

logger = logging.getLogger(__name__)

JSON = "application/json"
HTML = "text/html; charset=utf-8"
_HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong"
    b"</h1><p>The server is temporarily unable to service your request.</p></body></html>"
)
_STATUS_MESSAGES = {
    401: "Unauthorized: missing or invalid bearer token",
    403: "Forbidden",
    404: "Not found",
    500: "Internal server error",
    503: "Service unavailable",
}


def _loopback_address(host: str) -> tuple[socket.AddressFamily, str]:
    """Resolve `host` and insist that it is a loopback address."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = sorted({(info[0], str(info[4][0])) for info in infos}, key=lambda a: a[0])
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for _, a in addresses):
        raise ValueError(f"refusing to bind to non-loopback host {host!r}")
    return addresses[0]


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    simulator: SimulatorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-response are routine here (timeouts, dropped-connection
        tests); anything else is a simulator bug and is logged loudly."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("connection from %s ended abruptly", client_address, exc_info=True)
        else:
            logger.exception("error while serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the second waits for the
    # client's delayed ACK and every keep-alive request would cost ~40 ms.
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.simulator._track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator._track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header from the organisation's clock, like a real server's own clock:
        clients learn from it up to when an answer is complete."""
        if timestamp is None:
            timestamp = self.server.simulator.organisation.now_ms / 1000
        return email.utils.formatdate(timestamp, usegmt=True)

    def do_GET(self) -> None:
        self.server.simulator._dispatch(self, "GET")

    def do_POST(self) -> None:
        self.server.simulator._dispatch(self, "POST")

    def send_body(
        self,
        status: int,
        body: bytes,
        content_type: str = JSON,
        headers: dict[str, str] | None = None,
        declared_length: int | None = None,
    ) -> int:
        """Write a full response (or, with a larger `declared_length`, a cut-short one).

        Returns the body bytes written; a client that has gone away is not an error.
        """
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header(
                "Content-Length", str(len(body) if declared_length is None else declared_length)
            )
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return 0
        return len(body)


class SimulatorServer:
    """The simulator's HTTP server; `start()` serves from a background thread.

    `requests_per_minute` limits the export endpoints (429 with `Retry-After` beyond it) in
    bursts of up to `rate_limit_burst` requests (default: one minute's allowance; 1 is the
    strictest reading of the real API's limit).

    `accept_legacy_basic_auth` also accepts `Authorization: Basic base64("bearer:<token>")`, the
    form older clients (tap-dixa up to its newest release) send and the real API accepted from
    them; off by default, so that clients under test are held to the documented Bearer form.
    """

    def __init__(
        self,
        organisation: Organisation,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        bounds: Bounds = "inclusive",
        requests_per_minute: float | None = None,
        rate_limit_burst: int | None = None,
        latency_ms: float = 0,
        accept_legacy_basic_auth: bool = False,
        gateway: Gateway | None = None,
    ) -> None:
        if bounds not in BOUNDS:
            raise ValueError(f"bounds must be one of {', '.join(BOUNDS)}")
        if not token:
            raise ValueError("token must not be empty")
        family, address = _loopback_address(host)
        self.organisation = organisation
        self.faults = FaultPlan()
        self.latency_ms = latency_ms
        self.gateway = gateway  # None: every answer gets through, however big
        self._api = ExportApi(organisation, bounds)
        accepted = [f"bearer {token}"]
        if accept_legacy_basic_auth:
            legacy = base64.b64encode(f"bearer:{token}".encode()).decode()
            accepted.append(f"basic {legacy}")
        self._accepted_auth = [value.encode() for value in accepted]
        self._bucket = (
            TokenBucket(requests_per_minute, rate_limit_burst) if requests_per_minute else None
        )
        server_class = type("_BoundServer", (_HttpServer,), {"address_family": family})
        self._httpd: _HttpServer = server_class((address, port), _Handler)
        self._httpd.simulator = self
        self._thread: threading.Thread | None = None
        self._log = RequestLog()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        # The main API (activity log, dimensions) on the same server, under its own rules.
        self.main_api = MainApi(organisation, token, base_url=self.url + "/v1")

    @property
    def bounds(self) -> Bounds:
        """How `_after`/`_before` bounds are applied by the export endpoints."""
        return self._api.bounds

    @property
    def port(self) -> int:
        """The bound port (useful when constructed with port 0)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8765`."""
        host = str(self._httpd.server_address[0])
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> SimulatorServer:
        """Serve in a daemon thread until `stop()`."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"dixa-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open client connection."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def request_log(self) -> list[RequestLogEntry]:
        """Requests served since the last `reset_log()` (control calls excluded), once those
        still being answered have been logged (see `request_log` module)."""
        return self._log.entries()

    def reset_log(self) -> None:
        """Forget logged requests, also those still being answered (fault counts live in
        `faults` and are kept)."""
        self._log.reset()

    @property
    def export_requests_received(self) -> int:
        """Export requests that arrived since the last `reset_log()`, answered or not (never
        waits: for watching a client while it works)."""
        return self._log.export_requests_received

    @property
    def export_request_count(self) -> int:
        """Export requests in the log, whatever their outcome."""
        return sum(1 for entry in self.request_log if entry.endpoint in EXPORT_PATHS)

    def stats(self) -> dict[str, Any]:
        """Request counts by endpoint and status, plus faults injected and still scripted."""
        by_endpoint: dict[str, Counter[str]] = {}
        for entry in self.request_log:
            by_endpoint.setdefault(entry.endpoint, Counter())[str(entry.status)] += 1
        return {
            "requests": {path: dict(counts) for path, counts in by_endpoint.items()},
            "export_requests": self.export_request_count,
            "faults_injected": self.faults.injected,
            "faults_pending": self.faults.pending,
        }

    # Request handling.

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _record(
        self,
        path: str,
        query: str,
        status: int,
        sent: int,
        fault: str | None,
        arrival: Arrival | None = None,
    ) -> None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        in_flight = arrival.in_flight if arrival else 1
        entry = RequestLogEntry(path, params, status, sent, time.time(), fault, in_flight)
        self._log.append(entry, arrival)

    def _dispatch(self, handler: _Handler, method: str) -> None:
        path, _, query = handler.path.partition("?")
        if path.startswith("/_sim/"):
            self._control(handler, method, path, query)
            return
        if path not in EXPORT_PATHS and self.main_api.handles(path):
            authorization = handler.headers.get("Authorization", "")
            status, body, headers = self.main_api.respond(method, path, query, authorization)
            sent = handler.send_body(status, body, headers=headers)
            self._record(path, query, status, sent, None)
            return
        if path not in EXPORT_PATHS:
            sent = handler.send_body(404, error_body(_STATUS_MESSAGES[404]))
            self._record(path, query, 404, sent, None)
            return
        if method != "GET":
            handler.close_connection = True  # its body, if any, is left unread
            sent = handler.send_body(
                405, error_body("Method not allowed"), headers={"Allow": "GET"}
            )
            self._record(path, query, 405, sent, None)
            return
        self._export(handler, path, query)

    def _authorized(self, handler: _Handler) -> bool:
        given = handler.headers.get("Authorization", "")
        scheme, _, credentials = given.partition(" ")
        presented = f"{scheme.lower()} {credentials.strip()}".encode()
        # Every accepted form is compared, so the answer's timing does not tell which came close.
        matches = [hmac.compare_digest(presented, accepted) for accepted in self._accepted_auth]
        return any(matches)

    def _export(self, handler: _Handler, path: str, query: str) -> None:
        with self._log.export_request() as arrival:
            status, sent, fault = self._serve_export(handler, path, query)
            self._record(path, query, status, sent, fault, arrival)

    def _serve_export(
        self, handler: _Handler, path: str, query: str
    ) -> tuple[int, int, str | None]:
        """Answer one export request: (status, body bytes sent, fault kind or None)."""
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        if not self._authorized(handler):
            return 401, handler.send_body(401, error_body(_STATUS_MESSAGES[401])), None
        if self._bucket is not None and (wait := self._bucket.acquire()) is not None:
            sent = handler.send_body(
                429, error_body("Rate limit exceeded"), headers={"Retry-After": str(wait)}
            )
            return 429, sent, None
        fault = self.faults.next_fault(path)
        if fault is not None:
            status, sent = self._act_out(handler, fault, path, query)
            return status, sent, fault.kind
        response = self._answer(path, query)
        gateway = self.gateway
        if gateway is not None and gateway.refuses(response.records):
            time.sleep(gateway.delay_s)
            status, sent = self._fail_as(handler, gateway.failure, response.body)
            return status, sent, "gateway"
        return response.status, handler.send_body(response.status, response.body), None

    def _answer(self, path: str, query: str) -> ApiResponse:
        try:
            params = parse_query_string(query)
        except QueryError as error:
            return ApiResponse(error.status, error_body(error.message))
        return self._api.respond(path, params)

    def _act_out(self, handler: _Handler, fault: Fault, path: str, query: str) -> tuple[int, int]:
        """Send the faulty response; returns (status, body bytes sent), status 0 if none."""
        kind = fault.kind
        if kind == "drop":
            handler.close_connection = True
            return 0, 0
        if kind == "429":
            body = error_body("Too many requests")
            return 429, handler.send_body(429, body, headers=_retry_after(fault))
        if kind == "html_200":
            return 200, handler.send_body(200, _HTML_ERROR, HTML)
        if kind == "payload_200":
            return 200, handler.send_body(200, orjson.dumps(fault.params["payload"]))
        if kind == "400":
            return 400, handler.send_body(400, error_body(str(fault.params["message"])))
        if kind in ("401", "403", "404", "500", "503"):
            status = int(kind)
            return status, handler.send_body(status, error_body(_STATUS_MESSAGES[status]))
        if kind == "slow":
            time.sleep(float(fault.params["seconds"]))
        response = self._answer(path, query)
        if kind == "slow":
            return response.status, handler.send_body(response.status, response.body)
        if kind == "outside_window":
            body = response.body
            if response.status == 200:
                body = add_records_outside_window(path, parse_query_string(query), body)
            return response.status, handler.send_body(response.status, body)
        if kind == "object_200":
            return 200, handler.send_body(200, b'{"data":' + response.body + b"}")
        return self._fail_as(handler, kind, response.body)

    @staticmethod
    def _fail_as(handler: _Handler, kind: str, body: bytes) -> tuple[int, int]:
        """A gateway's failures: an error page, or ``body`` cut short."""
        if kind in ("502", "504"):
            return int(kind), handler.send_body(int(kind), _HTML_ERROR, HTML)
        if kind == "truncate":
            return 200, handler.send_body(200, body[: max(1, len(body) // 2)])
        # drop_mid_body: promise the whole body, send half, hang up.
        handler.close_connection = True
        half = body[: len(body) // 2]
        return 200, handler.send_body(200, half, declared_length=len(body))

    # Control endpoints.

    def _control(self, handler: _Handler, method: str, path: str, query: str) -> None:
        if not ipaddress.ip_address(handler.client_address[0]).is_loopback:
            handler.send_body(403, error_body(_STATUS_MESSAGES[403]))
            return
        try:
            status, payload = self._control_payload(handler, method, path, query)
        except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as error:
            status, payload = 400, {"message": str(error)}
        handler.send_body(status, dumps(payload))

    def _control_payload(
        self, handler: _Handler, method: str, path: str, query: str
    ) -> tuple[int, Any]:
        params = dict(parse_qsl(query))
        org = self.organisation
        if path == "/_sim/health" and method == "GET":
            return 200, {"status": "ok"}
        if path == "/_sim/clock":
            if method == "POST":
                value = self._read_json(handler).get("now_ms")
                if value is not None and not isinstance(value, int):
                    raise ValueError("now_ms must be an integer or null")
                org.set_now(value)
            return 200, {"now_ms": org.now_ms}
        if path == "/_sim/faults" and method == "POST":
            self._apply_fault_request(self._read_json(handler))
            return 200, {"faults_pending": self.faults.pending}
        if path == "/_sim/gateway" and method == "POST":
            self.gateway = Gateway.from_json(self._read_json(handler) or None)
            return 200, {"gateway": None if self.gateway is None else vars(self.gateway)}
        if path == "/_sim/stats" and method == "GET":
            return 200, self.stats()
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
            body = self._read_json(handler) if method == "POST" else {}
            return 200, anonymization_control(org, method, path, params, body)
        return 404, {"message": _STATUS_MESSAGES[404]}

    @staticmethod
    def _read_json(handler: _Handler) -> dict[str, Any]:
        length = int(handler.headers.get("Content-Length") or 0)
        payload = orjson.loads(handler.rfile.read(length)) if length else {}
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        return payload

    def _apply_fault_request(self, request: dict[str, Any]) -> None:
        """`{"clear": true, "inject": [{"kind", "count", "endpoint", ...params}], "random":
        {"rate", "seed", "kinds", ...params}}`, applied in that order."""
        if request.get("clear"):
            self.faults.clear()
        for item in request.get("inject", []):
            spec = dict(item)
            self.faults.inject(
                spec.pop("kind"), int(spec.pop("count", 1)), spec.pop("endpoint", None), **spec
            )
        if "random" in request:
            spec = dict(request["random"])
            self.faults.set_random(
                float(spec.pop("rate")), int(spec.pop("seed", 0)), spec.pop("kinds"), **spec
            )


def _retry_after(fault: Fault) -> dict[str, str]:
    """The 429's Retry-After header, in the fault's format (none, seconds or an HTTP date)."""
    delay = int(fault.params["retry_after"])
    style = fault.params["retry_after_format"]
    if style == "seconds":
        return {"Retry-After": str(delay)}
    if style == "http-date":
        return {"Retry-After": email.utils.formatdate(time.time() + delay, usegmt=True)}
    return {}
