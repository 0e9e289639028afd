"""`python -m dixa_assets.simulator`: serve the simulated Exports API until SIGINT/SIGTERM.

Meant for running clients, Dagster jobs and benchmarks from other processes against it; the
defaults mimic the real API's documented-by-peers limit of 10 requests per minute.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Sequence
from datetime import date

from dixa_assets.simulator.conversation_shapes import TAGS_INFO_SHAPES
from dixa_assets.simulator.faults import FAULT_KINDS
from dixa_assets.simulator.filters import BOUNDS, QueryError, parse_date
from dixa_assets.simulator.gateway import GATEWAY_FAILURES, Gateway
from dixa_assets.simulator.main_api import set_option
from dixa_assets.simulator.organisation import Organisation
from dixa_assets.simulator.server import SimulatorServer


def _clock(raw: str) -> int:
    try:
        return parse_date("--now", raw)
    except QueryError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _kinds(raw: str) -> list[str]:
    kinds = [kind.strip() for kind in raw.split(",") if kind.strip()]
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
    return kinds


def build_parser() -> argparse.ArgumentParser:
    """Command-line options; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m dixa_assets.simulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--token",
        default=os.environ.get("DIXA_SIMULATOR_TOKEN", "simulator-token"),
        help="expected bearer token (default: $DIXA_SIMULATOR_TOKEN or simulator-token)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--conversations-per-day", type=int, default=40)
    parser.add_argument("--messages-per-conversation", type=float, default=4.0)
    parser.add_argument("--history-start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument(
        "--history-end", type=date.fromisoformat, default=None, help="last creation day"
    )
    parser.add_argument(
        "--now",
        type=_clock,
        default=None,
        help="pin the clock (ms or yyyy-mm-dd); default: wall clock",
    )
    parser.add_argument(
        "--tags-info-shape",
        choices=TAGS_INFO_SHAPES,
        default="mixed",
        help="mixed: strings (the reference) and objects; objects: only objects (for tap-dixa)",
    )
    parser.add_argument("--bounds", choices=BOUNDS, default="inclusive")
    parser.add_argument(
        "--requests-per-minute", type=float, default=10.0, help="0 disables the rate limit"
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        help="requests allowed at once (default: one minute's allowance; 1: evenly spaced)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--accept-legacy-basic-auth",
        action="store_true",
        help='also accept Basic base64("bearer:<token>"), as older tap-dixa releases send',
    )
    parser.add_argument(
        "--gateway-max-records",
        type=int,
        default=None,
        help="a gateway that fails any answer holding more records than this (default: none)",
    )
    parser.add_argument("--gateway-delay-s", type=float, default=0.0, help="before it fails")
    parser.add_argument("--gateway-failure", choices=GATEWAY_FAILURES, default="504")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument(
        "--fault-kinds",
        type=_kinds,
        default=["429", "500", "502", "503", "504"],
        help=f"comma separated, from: {','.join(FAULT_KINDS)}",
    )
    parser.add_argument(
        "--main-api",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a switch of the main API (/v1/conversations/activitylog, /v1/agents, ...), e.g. "
        "auth=bearer, next_form=absolute, last_page_next=null, timestamp_suffix=Z[GMT], "
        "drift=true, retry_after=seconds, requests_per_second=none (see MainApiOptions)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Start the server, print its URL on one flushed line, and serve until signalled."""
    parser = build_parser()
    args = parser.parse_args(argv)
    organisation = Organisation(
        seed=args.seed,
        conversations_per_day=args.conversations_per_day,
        messages_per_conversation=args.messages_per_conversation,
        history_start=args.history_start,
        history_end=args.history_end,
        now_ms=args.now,
        tags_info_shape=args.tags_info_shape,
    )
    server = SimulatorServer(
        organisation,
        token=args.token,
        host=args.host,
        port=args.port,
        bounds=args.bounds,
        requests_per_minute=args.requests_per_minute or None,
        rate_limit_burst=args.burst,
        latency_ms=args.latency_ms,
        accept_legacy_basic_auth=args.accept_legacy_basic_auth,
        gateway=None
        if args.gateway_max_records is None
        else Gateway(args.gateway_max_records, args.gateway_delay_s, args.gateway_failure),
    )
    for assignment in args.main_api:
        try:
            set_option(server.main_api.options, assignment)
        except ValueError as error:
            server.stop()
            parser.error(f"--main-api {assignment}: {error}")
    if args.fault_rate > 0:
        server.faults.set_random(args.fault_rate, args.fault_seed, args.fault_kinds)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with server:
        print(f"Dixa Exports simulator listening on {server.url}", flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()
