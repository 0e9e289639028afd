"""How the simulator acts out a scripted fault, or a gateway's failure, on the wire.

Each kind in `faults.FAULT_KINDS` becomes a concrete response here: an error status, an HTML
page, a body cut short, a connection dropped; the server decides when, this module decides how.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from dixa_assets.simulator.api import STATUS_MESSAGES, ApiResponse, error_body
from dixa_assets.simulator.faults import Fault
from dixa_assets.simulator.filters import parse_query_string
from dixa_assets.simulator.outside_window import add_records_outside_window

if TYPE_CHECKING:
    from dixa_assets.simulator.http_plumbing import Handler

Answer = Callable[[str, str], ApiResponse]

HTML = "text/html; charset=utf-8"
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong"
    b"</h1><p>The server is temporarily unable to service your request.</p></body></html>"
)


def act_out(
    handler: Handler, fault: Fault, path: str, query: str, answer: Answer
) -> tuple[int, int]:
    """Send the faulty response; returns (status, body bytes sent), status 0 if none.

    `answer(path, query)` is the healthy answer, for the faults that spoil one."""
    kind = fault.kind
    if kind == "drop":
        handler.close_connection = True
        return 0, 0
    if kind == "429":
        body = error_body("Too many requests")
        return 429, handler.send_body(429, body, headers=_retry_after(fault))
    if kind == "html_200":
        return 200, handler.send_body(200, HTML_ERROR, HTML)
    if kind == "payload_200":
        return 200, handler.send_body(200, orjson.dumps(fault.params["payload"]))
    if kind == "400":
        return 400, handler.send_body(400, error_body(str(fault.params["message"])))
    if kind in ("401", "403", "404", "500", "503"):
        status = int(kind)
        return status, handler.send_body(status, error_body(STATUS_MESSAGES[status]))
    if kind == "slow":
        time.sleep(float(fault.params["seconds"]))
    response = answer(path, query)
    if kind == "slow":
        return response.status, handler.send_body(response.status, response.body)
    if kind == "outside_window":
        body = response.body
        if response.status == 200:
            body = add_records_outside_window(path, parse_query_string(query), body)
        return response.status, handler.send_body(response.status, body)
    if kind == "object_200":
        return 200, handler.send_body(200, b'{"data":' + response.body + b"}")
    return fail_as(handler, kind, response.body)


def fail_as(handler: Handler, kind: str, body: bytes) -> tuple[int, int]:
    """A gateway's failures: an error page, or ``body`` cut short."""
    if kind in ("502", "504"):
        return int(kind), handler.send_body(int(kind), HTML_ERROR, HTML)
    if kind == "truncate":
        return 200, handler.send_body(200, body[: max(1, len(body) // 2)])
    # drop_mid_body: promise the whole body, send half, hang up.
    handler.close_connection = True
    half = body[: len(body) // 2]
    return 200, handler.send_body(200, half, declared_length=len(body))


def _retry_after(fault: Fault) -> dict[str, str]:
    """The 429's Retry-After header, in the fault's format (none, seconds or an HTTP date)."""
    delay = int(fault.params["retry_after"])
    style = fault.params["retry_after_format"]
    if style == "seconds":
        return {"Retry-After": str(delay)}
    if style == "http-date":
        return {"Retry-After": email.utils.formatdate(time.time() + delay, usegmt=True)}
    return {}
