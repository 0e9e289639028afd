"""Fixtures: a small pinned-clock organisation and a server factory on 127.0.0.1:0."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets_tests.simulator.support import TOKEN, ServerFactory, small_organisation


@pytest.fixture
def organisation() -> Organisation:
    return small_organisation()


@pytest.fixture
def start_server() -> Iterator[ServerFactory]:
    """Start servers (stopped at teardown); keyword arguments go to `SimulatorServer`."""
    started: list[SimulatorServer] = []

    def start(organisation: Organisation | None = None, **options: Any) -> SimulatorServer:
        server = SimulatorServer(organisation or small_organisation(), token=TOKEN, **options)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server: ServerFactory) -> SimulatorServer:
    return start_server()


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as http:
        yield http
