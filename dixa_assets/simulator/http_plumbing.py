"""The HTTP/1.1 plumbing under the simulator: a loopback-only threading server, and a request
handler that hands every request to the :class:`~.server.SimulatorServer` and writes whole
(or deliberately cut-short) responses with a Content-Length, over keep-alive connections."""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dixa_assets.simulator.server import SimulatorServer

logger = logging.getLogger(__name__)

JSON = "application/json"


def loopback_address(host: str) -> tuple[socket.AddressFamily, str]:
    """Resolve `host` and insist that it is a loopback address."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = sorted({(info[0], str(info[4][0])) for info in infos}, key=lambda a: a[0])
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for _, a in addresses):
        raise ValueError(f"refusing to bind to non-loopback host {host!r}")
    return addresses[0]


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    simulator: SimulatorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-response are routine here (timeouts, dropped-connection
        tests); anything else is a simulator bug and is logged loudly."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("connection from %s ended abruptly", client_address, exc_info=True)
        else:
            logger.exception("error while serving %s", client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the second waits for the
    # client's delayed ACK and every keep-alive request would cost ~40 ms.
    disable_nagle_algorithm = True
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.simulator.track_connection(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator.track_connection(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header from the organisation's clock, like a real server's own clock:
        clients learn from it up to when an answer is complete."""
        if timestamp is None:
            timestamp = self.server.simulator.organisation.now_ms / 1000
        return email.utils.formatdate(timestamp, usegmt=True)

    def do_GET(self) -> None:
        self.server.simulator.dispatch(self, "GET")

    def do_POST(self) -> None:
        self.server.simulator.dispatch(self, "POST")

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
