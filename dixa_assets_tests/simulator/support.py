"""Constants and builders shared by the simulator tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from dixa_assets.simulator import Organisation, SimulatorServer
from dixa_assets.simulator.utc import day_start_ms

TOKEN = "test-token"
HISTORY_START = date(2024, 1, 1)
NOW_MS = day_start_ms(date(2024, 3, 1))

HTTP = httpx.Client(timeout=10)
"""One client for all one-off calls: building a client (and its SSL context) costs ~40 ms."""

ServerFactory = Callable[..., SimulatorServer]
"""The `start_server` fixture: starts a server on 127.0.0.1:0, stopped at teardown."""


def small_organisation(**overrides: Any) -> Organisation:
    """40 conversations a day from 2024-01-01, clock pinned at 2024-03-01."""
    settings: dict[str, Any] = {"history_start": HISTORY_START, "now_ms": NOW_MS}
    settings.update(overrides)
    return Organisation(**settings)
