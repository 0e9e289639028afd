"""Serving the two export endpoints over HTTP: token, latency, rate limit, faults, gateway.

A request meets them in the order a client of the real API does: the token is checked, the rate
limit may answer 429 with `Retry-After`, a scripted fault may stand in for the answer, and a
gateway may refuse an answer too big to pass. :class:`~.api.ExportApi` builds and caches the
bodies; :mod:`.fault_acts` puts a fault on the wire; the server logs the outcome.
"""

from __future__ import annotations

import base64
import hmac
import time
from typing import TYPE_CHECKING

from dixa_assets.simulator.api import STATUS_MESSAGES, ApiResponse, ExportApi, error_body
from dixa_assets.simulator.fault_acts import act_out, fail_as
from dixa_assets.simulator.faults import FaultPlan
from dixa_assets.simulator.filters import Bounds, QueryError, parse_query_string
from dixa_assets.simulator.gateway import Gateway
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.ratelimit import TokenBucket

if TYPE_CHECKING:
    from dixa_assets.simulator.http_plumbing import Handler


class ExportServing:
    """Answers export requests on a handler; see :class:`~.server.SimulatorServer` for the
    meaning of the arguments. `faults`, `gateway` and `latency_ms` may be changed while
    serving."""

    def __init__(
        self,
        organisation: Organisation,
        token: str,
        bounds: Bounds,
        requests_per_minute: float | None,
        rate_limit_burst: int | None,
        latency_ms: float,
        accept_legacy_basic_auth: bool,
        gateway: Gateway | None,
    ) -> None:
        self.api = ExportApi(organisation, bounds)
        self.faults = FaultPlan()
        self.latency_ms = latency_ms
        self.gateway = gateway  # None: every answer gets through, however big
        accepted = [f"bearer {token}"]
        if accept_legacy_basic_auth:
            legacy = base64.b64encode(f"bearer:{token}".encode()).decode()
            accepted.append(f"basic {legacy}")
        self._accepted_auth = [value.encode() for value in accepted]
        self._bucket = (
            TokenBucket(requests_per_minute, rate_limit_burst) if requests_per_minute else None
        )

    def serve(self, handler: Handler, path: str, query: str) -> tuple[int, int, str | None]:
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

    def _authorized(self, handler: Handler) -> bool:
        given = handler.headers.get("Authorization", "")
        scheme, _, credentials = given.partition(" ")
        presented = f"{scheme.lower()} {credentials.strip()}".encode()
        # Every accepted form is compared, so the answer's timing does not tell which came close.
        matches = [hmac.compare_digest(presented, accepted) for accepted in self._accepted_auth]
        return any(matches)

    def _answer(self, path: str, query: str) -> ApiResponse:
        try:
            params = parse_query_string(query)
        except QueryError as error:
            return ApiResponse(error.status, error_body(error.message))
        return self.api.respond(path, params)
