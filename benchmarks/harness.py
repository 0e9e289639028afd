"""The benchmark's harness: the processes it starts (the simulator, measured commands
through a small launcher, Dagster runs) and what they cost (wall seconds, peak RSS), and what
a run left behind (rows in the lake, its timeline). ``run_benchmarks.py`` and the other
benchmark scripts build on it."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pyarrow.parquet as pq
from dagster import DagsterEventType, DagsterInstance

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"
# The project's venv, else the interpreter running this (a worktree using a shared venv).
PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = PYTHON if PYTHON.exists() else Path(sys.executable)
DAGSTER = ROOT / ".venv" / "bin" / "dagster"
TOKEN = "benchmark-token"
ASSETS = ("dixa_conversations", "dixa_messages")
ENDPOINTS = {"dixa_conversations": "/v1/conversation_export", "dixa_messages": "/v1/message_export"}
FILTERS = {"dixa_conversations": "updated", "dixa_messages": "created"}
PEER_VENVS = {"tap-dixa": "venv-tap-dixa", "airbyte-source-dixa": "venv-airbyte-dixa"}
PEER_RUNNERS = {"tap-dixa": "run_tap_dixa.py", "airbyte-source-dixa": "run_airbyte_dixa.py"}
MIB = 1024 * 1024


# Processes and their cost.


@dataclass(frozen=True)
class Measured:
    """A finished subprocess: wall seconds, peak memory (MiB) and its last stdout line as JSON.

    ``peak_rss_mb`` is the largest single process's peak RSS (``ru_maxrss``); ``peak_tree_mb``
    the largest sum, sampled every 50 ms, of the proportional set size (PSS) of the command and
    every process it started, so memory held by worker processes counts and pages they share
    count once.
    """

    seconds: float
    peak_rss_mb: float
    peak_tree_mb: float
    result: dict[str, Any]


class BenchmarkError(RuntimeError):
    """A measured process failed; the message carries the tail of its stderr."""


# Linux starts a child's ``ru_maxrss`` at the high-water mark of the process it was forked from
# (``exec`` folds the old address space's peak in), so measured commands are started by this
# small launcher, not by the benchmark itself, whose own RSS would otherwise be every child's
# floor. It makes itself the subreaper of the command's tree, so processes orphaned on the way
# (a forkserver and its workers) are reaped by it and their peaks counted; it samples the tree's
# PSS meanwhile, and writes "<largest ru_maxrss KiB> <largest tree PSS KiB>" to argv[1].
_LAUNCHER = """
import ctypes, os, sys, threading, time
report, argv = sys.argv[1], sys.argv[2:]
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
me, peak_tree, done = os.getpid(), [0], threading.Event()
def tree_pss():
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
    total, todo = 0, list(children.get(me, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += next(int(l.split()[1]) for l in rollup if l.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total
def sample():
    while not done.is_set():
        peak_tree[0] = max(peak_tree[0], tree_pss())
        done.wait(0.05)
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
peak, status = 0, 0
while True:
    try:
        reaped, code, usage = os.wait4(-1, 0)
    except ChildProcessError:
        break
    peak = max(peak, usage.ru_maxrss)
    if reaped == pid:
        status = code
done.set()
sampler.join()
with open(report, "w") as sink:
    sink.write(f"{peak} {peak_tree[0]}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(
    command: Sequence[str | Path], env: Mapping[str, str], log: Path, *, json_line: bool = True
) -> Measured:
    """Run ``command`` (its first item an absolute path) to completion and measure it.

    The peak RSS is ``ru_maxrss`` from ``wait4``: the maximum over the process and every
    descendant it reaped, so a Dagster run's figure is its largest step process, not a sum.
    stdout and stderr go to files (``log``.out/.err), which also avoids pipe deadlocks.
    """
    out, err, peak = (log.with_suffix(suffix) for suffix in (".out", ".err", ".rss"))
    launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(peak), *map(str, command)]
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        started = time.perf_counter()
        returncode = subprocess.run(
            launcher, env=dict(env), stdout=stdout, stderr=stderr, cwd=ROOT, check=False
        ).returncode
        seconds = time.perf_counter() - started
    lines = out.read_text().strip().splitlines()
    if returncode != 0 and not (json_line and lines and lines[-1].startswith("{")):
        tail = err.read_text()[-3000:]
        raise BenchmarkError(f"{command[0]} ... exited {returncode}:\n{tail}")
    result = json.loads(lines[-1]) if json_line else {}
    largest, tree = (int(kib) / 1024 for kib in peak.read_text().split())
    return Measured(seconds, round(largest, 1), round(tree, 1), result)


@dataclass(frozen=True)
class SimulatorSize:
    """The synthetic organisation a simulator serves (same seed everywhere)."""

    conversations_per_day: int
    messages_per_conversation: float
    history_start: date
    history_end: date
    now: date


@contextmanager
def simulator(
    size: SimulatorSize,
    log: Path,
    *,
    requests_per_minute: float = 0,
    latency_ms: float = 0,
    for_peers: bool = False,
) -> Iterator[str]:
    """Serve ``size`` on a free loopback port; yields the base URL; SIGTERM on exit.

    ``for_peers``: ``tags_info`` items all objects and tap-dixa's legacy Basic auth accepted;
    every other value is identical to the default simulator's (same seed, same draws).
    """
    command = [
        PYTHON, "-m", "dixa_assets.simulator", "--port", "0", "--token", TOKEN,
        "--conversations-per-day", str(size.conversations_per_day),
        "--messages-per-conversation", str(size.messages_per_conversation),
        "--history-start", size.history_start.isoformat(),
        "--history-end", size.history_end.isoformat(), "--now", size.now.isoformat(),
        "--requests-per-minute", str(requests_per_minute), "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    if for_peers:
        command += ["--accept-legacy-basic-auth", "--tags-info-shape", "objects"]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [str(part) for part in command], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("Dixa Exports simulator listening on "):
            raise BenchmarkError(f"simulator did not start: {line!r}; see {log}")
        yield line.rsplit(" ", 1)[1]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(base_url: str, path: str, params: Mapping[str, int | str], target: Path) -> int:
    """One export request with the documented Bearer header (which also warms the simulator's
    cache), streamed to ``target`` so that no body stays in this process; returns its bytes."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        httpx.stream(
            "GET", base_url + path, params=dict(params), headers=headers, timeout=600
        ) as response,
        open(target, "wb") as sink,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes(1 << 20):
            sink.write(chunk)
    return target.stat().st_size


def day_ms(day: date) -> int:
    """Epoch milliseconds of ``day``'s UTC midnight."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


# Our runs through Dagster.


@dataclass(frozen=True)
class DagsterSetup:
    """A fresh instance and lake for one run, and the environment pointing both at a simulator."""

    home: Path
    data_dir: Path
    env: dict[str, str]


def dagster_setup(
    scratch: Path, base_url: str, start: date, requests_per_minute: float
) -> DagsterSetup:
    """A new ``DAGSTER_HOME`` (with the repo's ``dagster.yaml``) and lake under ``scratch``."""
    home, data_dir = Path(tempfile.mkdtemp(dir=scratch, prefix="dagster-home-")), scratch / "lake"
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DIXA_API_BASE_URL": base_url,
        "DIXA_MAIN_API_BASE_URL": f"{base_url}/v1",
        "DIXA_API_TOKEN": TOKEN,
        "DIXA_DATA_DIR": str(data_dir),
        "DIXA_DUCKDB_PATH": str(data_dir / "dixa.duckdb"),
        "DIXA_START_DATE": start.isoformat(),
        "DIXA_TIMEZONE": "UTC",
        "DIXA_REQUESTS_PER_MINUTE": str(requests_per_minute),
    }
    return DagsterSetup(home, data_dir, env)


def lake_rows(data_dir: Path, asset: str) -> int:
    """Rows stored for ``asset``, from the Parquet footers (not from the run's own metadata)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in (data_dir / asset).glob("*.parquet"))


@dataclass(frozen=True)
class RunTimeline:
    """What the run's event log says: the run's duration and each step's [start, end] offsets."""

    run_seconds: float
    steps: dict[str, tuple[float, float]]

    @property
    def api_steps_overlapped(self) -> bool:
        """Whether the two raw assets' steps (the ones calling the API) ran at the same time.

        Their asset checks run as steps of their own and are left out: they call no API.
        """
        spans = sorted(span for key, span in self.steps.items() if key in ASSETS)
        return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def run_timeline(home: Path) -> RunTimeline:
    """Read the only run of the instance at ``home``."""
    kinds = {
        DagsterEventType.RUN_START,
        DagsterEventType.RUN_SUCCESS,
        DagsterEventType.STEP_START,
        DagsterEventType.STEP_SUCCESS,
    }
    # The repo's dagster.yaml reads DAGSTER_HOME from the environment, as in a real deployment.
    with (
        patch.dict(os.environ, {"DAGSTER_HOME": str(home)}),
        DagsterInstance.from_config(str(home)) as instance,
    ):
        (run,) = instance.get_runs()
        events = [e for e in instance.all_logs(run.run_id) if e.dagster_event_type in kinds]
    origin = min(e.timestamp for e in events)
    run_seconds = max(e.timestamp for e in events) - origin
    starts: dict[str, float] = {}
    steps: dict[str, tuple[float, float]] = {}
    for event in events:
        key = event.step_key
        if event.dagster_event_type is DagsterEventType.STEP_START and key:
            starts[key] = event.timestamp - origin
        elif event.dagster_event_type is DagsterEventType.STEP_SUCCESS and key:
            steps[key] = (round(starts[key], 2), round(event.timestamp - origin, 2))
    return RunTimeline(round(run_seconds, 2), steps)


def materialize_cli(
    setup: DagsterSetup, partitions: str, log: Path, assets: Sequence[str] = ASSETS
) -> Measured:
    """``dagster asset materialize`` of ``assets`` (both raw ones by default), as a user runs
    it; ``partitions`` is the CLI's option."""
    flag = "--partition-range" if "..." in partitions else "--partition"
    command = [
        DAGSTER, "asset", "materialize", "-m", "dixa_assets.definitions",
        "--select", ",".join(assets), flag, partitions,
    ]  # fmt: skip
    return run_measured(command, setup.env, log, json_line=False)
