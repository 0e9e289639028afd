"""The request log seen from the server's side: concurrency, and exact whenever a test looks."""

from __future__ import annotations

import threading
import time

import httpx

from dixa_assets.simulator import SimulatorServer
from dixa_assets_tests.simulator.support import HTTP, TOKEN

PARAMS = {"created_after": "2024-01-10", "created_before": "2024-01-11"}


def _get(server: SimulatorServer) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return HTTP.get(server.url + "/v1/message_export", params=PARAMS, headers=headers)


def _slow_request_under_way(server: SimulatorServer, seconds: float = 0.3) -> threading.Thread:
    """A request the server is still answering when this returns."""
    arrived = server.export_requests_received
    server.faults.inject("slow", seconds=seconds)
    thread = threading.Thread(target=_get, args=(server,))
    thread.start()
    deadline = time.monotonic() + 5
    while server.export_requests_received == arrived and time.monotonic() < deadline:
        time.sleep(0.005)
    return thread


def test_each_entry_counts_the_requests_in_flight_when_it_arrived(server: SimulatorServer):
    threads = [_slow_request_under_way(server, seconds=0.5) for _ in range(3)]
    for thread in threads:
        thread.join()
    assert sorted(entry.in_flight for entry in server.request_log) == [1, 2, 3]
    _get(server)
    assert server.request_log[-1].in_flight == 1


def test_a_request_answered_after_a_reset_is_not_logged(server: SimulatorServer) -> None:
    thread = _slow_request_under_way(server)
    server.reset_log()  # a test ends while the server still answers its request
    thread.join()
    assert server.request_log == [] and server.export_requests_received == 0


def test_reading_the_log_waits_for_requests_still_being_answered(server: SimulatorServer):
    thread = _slow_request_under_way(server)
    (entry,) = server.request_log
    assert (entry.fault, entry.status) == ("slow", 200)
    thread.join()
