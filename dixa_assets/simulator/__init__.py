"""A loopback HTTP simulator of the Dixa Exports API over a deterministic synthetic organisation.

It exists so the client, assets and benchmarks can be exercised end to end (auth, rate limits,
faults, undocumented bound semantics, shape variations) with an exact ground truth to compare
against, without touching the real API.
"""

from dixa_assets.simulator.dead_port import DeadPort
from dixa_assets.simulator.faults import FAULT_KINDS, Fault, FaultPlan
from dixa_assets.simulator.filters import BOUNDS, Bounds
from dixa_assets.simulator.gateway import GATEWAY_FAILURES, Gateway
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.server import RequestLogEntry, SimulatorServer
from dixa_assets.simulator.wire import ExponentFloat

__all__ = [
    "BOUNDS",
    "FAULT_KINDS",
    "GATEWAY_FAILURES",
    "Bounds",
    "DeadPort",
    "ExponentFloat",
    "Fault",
    "FaultPlan",
    "Gateway",
    "Organisation",
    "RequestLogEntry",
    "SimulatorServer",
]
