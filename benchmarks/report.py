"""The benchmark's table: its figures and ratios, as printed and pasted into the README."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from harness import ASSETS, MIB
from parts import Results


def rate(rows: int, seconds: float) -> float:
    """Records per second, for the table."""
    return rows / seconds if seconds else math.nan


def _total(figures: Iterable[Mapping[str, Any]]) -> tuple[int, float, float]:
    """Rows and seconds summed, peak RSS the largest: several runs taken as one."""
    listed = list(figures)
    rows = sum(int(f["rows"]) for f in listed)
    return rows, sum(float(f["seconds"]) for f in listed), max(f["peak_rss_mb"] for f in listed)


def report(results: Results) -> str:
    """The table of figures and ratios, as printed and pasted into the README."""
    row = "| {:<48} | {:>9} | {:>8} | {:>10} | {:>8} |"
    lines = [
        row.format("measurement", "records", "seconds", "records/s", "peak MiB"),
        row.format("-" * 48, "-" * 9, "-" * 8, "-" * 10, "-" * 8),
    ]

    def add(label: str, rows: int, seconds: float, rss: float) -> float:
        speed = rate(rows, seconds)
        lines.append(row.format(label, rows, f"{seconds:.2f}", f"{speed:,.0f}", f"{rss:,.0f}"))
        return speed

    cli = results.ours_cli
    cli_rows = sum(cli["rows"].values())
    ours_cli = add("ours: dagster asset materialize, both (wall)", cli_rows, *_cli_cost(cli))
    ours = {
        asset: add(f"ours in process: {asset}", *_total([figures]))
        for asset, figures in results.ours_in_process.items()
    }
    ours_both = add("ours in process: both (sum)", *_total(results.ours_in_process.values()))
    floor = {
        asset: add(f"floor ({figures['best']}): {asset}", *_total([figures]))
        for asset, figures in results.floor.items()
    }
    floor_both = add("floor: both (sum)", *_total(results.floor.values()))
    peers = {
        peer: add(
            f"{peer}: {'+'.join(f['records'])}",
            sum(f["records"].values()),
            f["seconds"],
            f["peak_rss_mb"],
        )
        for peer, f in results.peers.items()
    }
    same_data = math.nan
    if results.ours_on_peer_data:
        same_data = add("ours in process on the peers' data: both (sum)",
                        *_total(results.ours_on_peer_data.values()))  # fmt: skip

    lines += ["", "| ratio | value |", "| --- | ---: |"]

    def ratio(label: str, value: float) -> None:
        lines.append(f"| {label} | {value:.2f} |")

    for asset in ASSETS:
        ratio(f"ours / floor records/s: {asset} (in process)", ours[asset] / floor[asset])
    ratio("ours / floor records/s: both (in process)", ours_both / floor_both)
    ratio("ours / floor records/s: both (CLI wall, with start-up)", ours_cli / floor_both)
    if "tap-dixa" in peers:
        ratio("ours / tap-dixa records/s: same data (in process)", same_data / peers["tap-dixa"])
        ratio("ours / tap-dixa records/s: CLI wall, reference data", ours_cli / peers["tap-dixa"])
    if "airbyte-source-dixa" in peers:
        airbyte = peers["airbyte-source-dixa"]
        ratio("ours / airbyte records/s: conversations (in process)",
              ours["dixa_conversations"] / airbyte)  # fmt: skip
        ratio("ours / airbyte records/s: CLI wall, both", ours_cli / airbyte)
    for asset, size in results.json_bytes.items():
        lines.append(f"| {asset}: one window's JSON, MiB | {size / MIB:.1f} |")
        figures = results.ours_in_process[asset]
        ratio(f"peak RSS / window JSON: {asset} (in process)", figures["peak_rss_mb"] * MIB / size)
        data_share = figures["peak_rss_mb"] - figures["rss_before_mb"]
        ratio(f"(peak - RSS after imports) / window JSON: {asset}", data_share * MIB / size)
    largest = max(results.json_bytes.values())
    ratio("peak RSS / largest window JSON: CLI (largest step)", cli["peak_rss_mb"] * MIB / largest)
    if results.backfill:
        b = results.backfill
        lines += [
            f"| backfill: {b['days']} days, {b['requests_per_minute']:g}/min, "
            f"{b['latency_ms']:g} ms; CLI wall s | {b['seconds']:.1f} |",
            f"| backfill: run s (event log, no CLI start-up) | {b['run_seconds']:.1f} |",
            f"| backfill: rate-limit bound s ({b['min_requests']} requests) | "
            f"{b['bound_seconds']:.1f} |",
            f"| backfill: API steps overlapped | {b['api_steps_overlapped']} |",
        ]
        ratio("backfill CLI wall / bound", b["seconds"] / b["bound_seconds"])
        ratio("backfill run / bound", b["run_seconds"] / b["bound_seconds"])
    return "\n".join(lines)


def _cli_cost(cli: Mapping[str, Any]) -> tuple[float, float]:
    """Seconds and peak RSS of the CLI measurement, in the order ``add`` takes them."""
    return float(cli["seconds"]), float(cli["peak_rss_mb"])
