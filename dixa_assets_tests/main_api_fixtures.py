"""The shared simulator with its main API reset: default switches, unpaced, initial membership."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dixa_assets.simulator import SimulatorServer
from dixa_assets.simulator.directory import Directory
from dixa_assets.simulator.main_api import MainApiOptions


@pytest.fixture
def main_sim(simulator: SimulatorServer) -> Iterator[SimulatorServer]:
    api = simulator.main_api
    api.options = MainApiOptions(requests_per_second=None)
    api.directory = Directory(simulator.organisation.catalogue)
    yield simulator
    api.options = MainApiOptions(requests_per_second=None)
    api.directory = Directory(simulator.organisation.catalogue)
