"""A real HTTP/1.1 server on loopback speaking the Dixa Exports API, with faults and controls.

Clients under test talk to it exactly as to exports.dixa.io: bearer auth, 429 with Retry-After,
keep-alive connections, one JSON array per window. Every response carries a Content-Length, so
keep-alive works and the wire-level faults (dropped connection, body cut short) are unambiguous.
Control endpoints under `/_sim/` (see :mod:`.control`) let another process move the clock,
script faults and read the ground truth; :mod:`.fault_acts` turns a scripted fault into the
response on the wire. The server refuses to bind anywhere but loopback.
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

from dixa_assets.simulator.api import (
    EXPORT_PATHS,
    STATUS_MESSAGES,
    ApiResponse,
    ExportApi,
    error_body,
)
from dixa_assets.simulator.control import control
from dixa_assets.simulator.fault_acts import act_out, fail_as
from dixa_assets.simulator.faults import FaultPlan
from dixa_assets.simulator.filters import BOUNDS, Bounds, QueryError, parse_query_string
from dixa_assets.simulator.gateway import Gateway
from dixa_assets.simulator.main_api import MainApi
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.ratelimit import TokenBucket
from dixa_assets.simulator.request_log import Arrival, RequestLog, RequestLogEntry

logger = logging.getLogger(__name__)

JSON = "application/json"


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
            control(self, handler, method, path, query)
            return
        if path not in EXPORT_PATHS and self.main_api.handles(path):
            authorization = handler.headers.get("Authorization", "")
            status, body, headers = self.main_api.respond(method, path, query, authorization)
            sent = handler.send_body(status, body, headers=headers)
            self._record(path, query, status, sent, None)
            return
        if path not in EXPORT_PATHS:
            sent = handler.send_body(404, error_body(STATUS_MESSAGES[404]))
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
            return 401, handler.send_body(401, error_body(STATUS_MESSAGES[401])), None
        if self._bucket is not None and (wait := self._bucket.acquire()) is not None:
            sent = handler.send_body(
                429, error_body("Rate limit exceeded"), headers={"Retry-After": str(wait)}
            )
            return 429, sent, None
        fault = self.faults.next_fault(path)
        if fault is not None:
            status, sent = act_out(handler, fault, path, query, self._answer)
            return status, sent, fault.kind
        response = self._answer(path, query)
        gateway = self.gateway
        if gateway is not None and gateway.refuses(response.records):
            time.sleep(gateway.delay_s)
            status, sent = fail_as(handler, gateway.failure, response.body)
            return status, sent, "gateway"
        return response.status, handler.send_body(response.status, response.body), None

    def _answer(self, path: str, query: str) -> ApiResponse:
        try:
            params = parse_query_string(query)
        except QueryError as error:
            return ApiResponse(error.status, error_body(error.message))
        return self._api.respond(path, params)
