"""A real HTTP/1.1 server on loopback speaking the Dixa Exports API, with faults and controls.

Clients under test talk to it exactly as to exports.dixa.io: bearer auth, 429 with Retry-After,
keep-alive connections, one JSON array per window. Every response carries a Content-Length, so
keep-alive works and the wire-level faults (dropped connection, body cut short) are unambiguous.
This module routes each request and keeps the request log; :mod:`.export_serving` answers the
export endpoints (token, rate limit, faults, gateway), :mod:`.main_api` the main API, and
control endpoints under `/_sim/` (see :mod:`.control`) let another process move the clock,
script faults and read the ground truth. :mod:`.http_plumbing` is the HTTP server underneath,
which refuses to bind anywhere but loopback.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from dixa_assets.simulator.api import EXPORT_PATHS, STATUS_MESSAGES, error_body
from dixa_assets.simulator.control import control
from dixa_assets.simulator.export_serving import ExportServing
from dixa_assets.simulator.filters import BOUNDS, Bounds
from dixa_assets.simulator.gateway import Gateway
from dixa_assets.simulator.http_plumbing import Handler, HttpServer, loopback_address
from dixa_assets.simulator.main_api import MainApi
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.request_log import Arrival, RequestLog, RequestLogEntry


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
        family, address = loopback_address(host)
        self.organisation = organisation
        self._exports = ExportServing(
            organisation,
            token,
            bounds,
            requests_per_minute,
            rate_limit_burst,
            latency_ms,
            accept_legacy_basic_auth,
            gateway,
        )
        self.faults = self._exports.faults
        server_class = type("_BoundServer", (HttpServer,), {"address_family": family})
        self._httpd: HttpServer = server_class((address, port), Handler)
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
        return self._exports.api.bounds

    @property
    def gateway(self) -> Gateway | None:
        """A gateway in front of the export endpoints (None: every answer gets through)."""
        return self._exports.gateway

    @gateway.setter
    def gateway(self, gateway: Gateway | None) -> None:
        self._exports.gateway = gateway

    @property
    def latency_ms(self) -> float:
        """Delay before each export request is answered."""
        return self._exports.latency_ms

    @latency_ms.setter
    def latency_ms(self, latency_ms: float) -> None:
        self._exports.latency_ms = latency_ms

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

    # Request handling (called by the handler of :mod:`.http_plumbing`).

    def track_connection(self, connection: socket.socket, open_: bool) -> None:
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

    def dispatch(self, handler: Handler, method: str) -> None:
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

    def _export(self, handler: Handler, path: str, query: str) -> None:
        with self._log.export_request() as arrival:
            status, sent, fault = self._exports.serve(handler, path, query)
            self._record(path, query, status, sent, fault, arrival)
