"""What the server sees of the client's pace and concurrency: the README's rate-limit promises.

A real minute is too slow for a test, so the simulator's limit is the real API's (10 requests a
minute, in bursts of one: evenly spaced, the strictest reading) made 60 times faster, and the
client paces under it (see ``REAL_LIMIT_SPED_UP`` in conftest).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from dixa_assets.exports_api import ExportsClient, Window
from dixa_assets.simulator import SimulatorServer
from dixa_assets_tests.conftest import PACE_UNDER_IT, REAL_LIMIT_SPED_UP, TOKEN, day_ms

RANGE = Window(day_ms("2025-01-01")[0], day_ms("2025-03-19")[0])  # three 31-day pieces
LONG = Window(day_ms("2024-11-01")[0], day_ms("2025-03-15")[0])  # five pieces


@pytest.fixture
def start_server(organisation) -> Iterator:
    servers: list[SimulatorServer] = []

    def start(**options) -> SimulatorServer:
        servers.append(SimulatorServer(organisation, token=TOKEN, **options).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_a_paced_client_is_never_refused_by_a_server_at_the_real_limit(start_server):
    server = start_server(**REAL_LIMIT_SPED_UP)
    with ExportsClient(TOKEN, server.url, requests_per_minute=PACE_UNDER_IT) as client:
        answer = client.messages(created=RANGE)
    assert [entry.status for entry in server.request_log] == [200, 200, 200]
    truth = server.organisation.messages(RANGE.start_ms, RANGE.end_ms)
    assert sorted(m["id"] for m in answer.records()) == sorted(m["id"] for m in truth)


def test_at_most_two_requests_are_ever_in_flight_at_the_server(start_server):
    server = start_server(latency_ms=150)  # every answer takes long enough to overlap
    with ExportsClient(TOKEN, server.url, requests_per_minute=None) as client:
        got = [piece.window for piece in client.message_pieces(created=LONG)]
        assert got == LONG.split() and len(server.request_log) == len(got) == 5
        assert max(entry.in_flight for entry in server.request_log) == 2
        server.reset_log()
        assert client.messages(created=LONG).requests == 5  # one call, split by the client
    assert max(entry.in_flight for entry in server.request_log) == 2


def test_a_stream_fetches_ahead_no_more_than_it_may_have_in_flight(simulator):
    with ExportsClient(TOKEN, simulator.url, requests_per_minute=None) as client:
        answers = client.message_pieces(created=LONG)
        for consumed, _ in enumerate(answers, start=1):
            if consumed == 1:
                time.sleep(0.3)  # a slow consumer: an unbounded stream would fetch on meanwhile
            assert simulator.export_requests_received <= consumed + 2
    assert simulator.export_requests_received == len(LONG.split()) == 5
