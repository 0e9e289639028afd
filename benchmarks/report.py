"""The benchmark's tables: its figures and ratios, as printed and pasted into the README.

The headline is the whole process, as a user waits for it (interpreter start-up, imports,
Dagster's run, checks); the in-process figures, clocked around the work alone, come next to it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from harness import MIB
from parts import Results

STREAMS = {"dixa_conversations": "conversations", "dixa_messages": "messages"}


def rate(rows: float, seconds: float | None) -> float:
    """Records per second, for the tables (NaN where a figure is missing)."""
    return rows / seconds if seconds else math.nan


class _Table:
    """One row per (stream, tool); remembers each row's rates for the ratios."""

    ROW = "| {:<13} | {:<30} | {:>7} | {:>7} | {:>9} | {:>7} | {:>9} | {:>8} | {:>8} |"

    def __init__(self) -> None:
        self.lines = [
            self.ROW.format(
                "stream",
                "tool (data)",
                "records",
                "whole s",
                "records/s",
                "inner s",
                "records/s",
                "max proc",
                "all proc",
            ),
            self.ROW.format(*("-" * n for n in (13, 30, 7, 7, 9, 7, 9, 8, 8))),
        ]
        self.whole: dict[tuple[str, str], float] = {}
        self.inner: dict[tuple[str, str], float] = {}

    def add(
        self,
        stream: str,
        tool: str,
        rows: int,
        whole_s: float | None,
        inner_s: float | None,
        memory: Mapping[str, Any],
    ) -> None:
        self.whole[stream, tool] = rate(rows, whole_s)
        self.inner[stream, tool] = rate(rows, inner_s)
        self.lines.append(
            self.ROW.format(
                stream,
                tool,
                rows,
                _num(whole_s, ".2f"),
                _num(self.whole[stream, tool], ",.0f"),
                _num(inner_s, ".2f"),
                _num(self.inner[stream, tool], ",.0f"),
                _num(memory.get("peak_rss_mb"), ",.0f"),
                _num(memory.get("peak_tree_mb"), ",.0f"),
            )
        )


def _num(value: float | None, spec: str) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (format(value, spec))
    )


def report(results: Results) -> str:
    """The per-stream table, the ratios, and the backfill."""
    table = _Table()
    whole, inner = results.whole, results.ours_in_process
    for asset, stream in STREAMS.items():
        ours = whole["ours"][asset]
        table.add(
            stream,
            "ours (reference data)",
            ours["rows"],
            ours["seconds"],
            inner[asset]["seconds"],
            ours,
        )
        if asset in whole.get("ours on the peers' data", {}):
            peers_data = whole["ours on the peers' data"][asset]
            table.add(
                stream,
                "ours (peers' data)",
                peers_data["rows"],
                peers_data["seconds"],
                results.ours_on_peer_data[asset]["seconds"],
                peers_data,
            )
        naive = whole["naive floor"][asset]
        table.add(stream, "naive floor", naive["rows"], naive["seconds"], None, naive)
        floor = results.floor[asset]
        table.add(
            stream,
            f"{floor['best']} floor (saved body)",
            floor["rows"],
            floor["whole_seconds"],
            floor["seconds"],
            floor,
        )
        tap = results.peers.get(f"tap-dixa {stream}")
        if tap:
            table.add(
                stream,
                "tap-dixa (peers' data)",
                tap["records"][stream],
                tap["whole_seconds"],
                tap["seconds"],
                tap,
            )
        airbyte = results.peers.get("airbyte-source-dixa")
        if airbyte and stream in airbyte["records"]:
            day = f"airbyte ({airbyte['conversations_per_day'] // 1000}k-day)"
            table.add(
                stream,
                day,
                airbyte["records"][stream],
                airbyte["whole_seconds"],
                airbyte["seconds"],
                airbyte,
            )
    both = results.ours_cli
    table.add(
        "both", "ours, one run (reference)", sum(both["rows"].values()), both["seconds"], None, both
    )
    return "\n".join([*table.lines, "", *_ratios(table, results), *_backfill(results)])


def _ratios(table: _Table, results: Results) -> list[str]:
    lines = ["| ratio | value |", "| --- | ---: |"]

    def ratio(label: str, value: float) -> None:
        lines.append(f"| {label} | {value:.2f} |")

    for stream in STREAMS.values():
        ours = table.whole[stream, "ours (reference data)"]
        ratio(
            f"**whole process, {stream}: ours / naive floor**",
            ours / table.whole[stream, "naive floor"],
        )
        if (stream, "tap-dixa (peers' data)") in table.whole:
            same = table.whole[stream, "ours (peers' data)"]
            ratio(
                f"**whole process, {stream}: ours / tap-dixa (same data)**",
                same / table.whole[stream, "tap-dixa (peers' data)"],
            )
    airbyte = [key for key in table.whole if key[1].startswith("airbyte")]
    if airbyte:
        ours = table.whole["conversations", "ours (reference data)"]
        ratio("**whole process, conversations: ours / airbyte**", ours / table.whole[airbyte[0]])
    for asset, stream in STREAMS.items():
        floor = results.floor[asset]
        ratio(
            f"in process, {stream}: ours / {floor['best']} floor",
            table.inner[stream, "ours (reference data)"]
            / table.inner[stream, f"{floor['best']} floor (saved body)"],
        )
        if (stream, "tap-dixa (peers' data)") in table.inner:
            ratio(
                f"in process, {stream}: ours / tap-dixa (same data)",
                table.inner[stream, "ours (peers' data)"]
                / table.inner[stream, "tap-dixa (peers' data)"],
            )
    for asset, size in results.json_bytes.items():
        stream, ours = STREAMS[asset], results.whole["ours"][asset]
        lines.append(f"| {stream}: one window's JSON, MiB | {size / MIB:.1f} |")
        ratio(
            f"whole process, {stream}: largest process's peak RSS / JSON",
            ours["peak_rss_mb"] * MIB / size,
        )
        ratio(
            f"whole process, {stream}: all processes' peak PSS / JSON",
            ours["peak_tree_mb"] * MIB / size,
        )
        figures = results.ours_in_process[asset]
        data_share = figures["peak_rss_mb"] - figures["rss_before_mb"]
        ratio(
            f"in process, {stream}: (peak RSS - RSS after imports) / JSON", data_share * MIB / size
        )
    return lines


def _backfill(results: Results) -> list[str]:
    if not results.backfill:
        return []
    b = results.backfill
    return [
        f"| backfill: {b['days']} days, {b['requests_per_minute']:g}/min, "
        f"{b['latency_ms']:g} ms; CLI wall s | {b['seconds']:.1f} |",
        f"| backfill: run s (event log, no CLI start-up) | {b['run_seconds']:.1f} |",
        f"| backfill: rate-limit bound s ({b['min_requests']} requests) | "
        f"{b['bound_seconds']:.1f} |",
        f"| backfill: API steps overlapped | {b['api_steps_overlapped']} |",
        f"| backfill CLI wall / bound | {b['seconds'] / b['bound_seconds']:.2f} |",
        f"| backfill run / bound | {b['run_seconds'] / b['bound_seconds']:.2f} |",
    ]
