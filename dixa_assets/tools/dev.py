"""Demo mode: the project live in the Dagster UI, with data arriving while you watch.

``python -m dixa_assets.dev`` starts the Dixa Exports simulator on loopback and Dagster's
webserver and daemon (``dg dev``, which is ``dagster dev``) against it, switches every schedule and
sensor on through the webserver, and launches at once the run the refresh schedule launched at its
last tick: the last days land in the Parquet lake and the modelled tables follow by automation,
without waiting for tomorrow's tick. Everything is kept in the demo's own folder (``.demo``,
shared with ``dixa_assets.demo``; see ``demo.DemoState``), never in an exported
``DAGSTER_HOME`` or ``DIXA_DATA_DIR``. Ctrl-C stops everything and switches off again what it
switched on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from dagster import DagsterInstance

from dixa_assets.settings import Settings
from dixa_assets.tools.demo import (
    DEMO_DIR,
    PROJECT_ROOT,
    check_results,
    demo_state,
    report_checks,
    running_simulator,
    simulator_env,
)
from dixa_assets.tools.dev_graphql import (
    WORKSPACE_QUERY,
    DevModeError,
    Repository,
    Switched,
    entry_repositories,
    graphql,
    launch_schedules_now,
    switch_off_automation,
    switch_on_automation,
)

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 180.0
SHUTDOWN_TIMEOUT_S = 30.0
LOG_NAME = "dagster-dev.log"
LOG_TAIL_LINES = 40
CHECK_POLL_S = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dixa_assets.dev", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    parser.add_argument(
        "--state-dir",
        default=DEMO_DIR,
        help="where demo mode keeps its Dagster instance, lake and DuckDB file "
        "(default: .demo in the project, shared with the demo)",
    )
    args = parser.parse_args(argv)
    if not _port_is_free(args.port):
        # Checked first: dagster dev does not stop when its webserver cannot listen, and the
        # requests below would reach whatever holds the port, possibly another Dagster.
        parser.error(f"{HOST}:{args.port} is in use (another Dagster UI?): choose another --port")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress lines

    state = demo_state(args.state_dir)
    settings, home = state.settings(), state.home
    log_path = home / LOG_NAME
    ui = f"http://{HOST}:{args.port}"
    token = secrets.token_urlsafe(24)  # a fresh token for this simulator only; never printed
    # SIGTERM (a service manager, a test) stops everything as cleanly as Ctrl-C. Both are set
    # because a shell starts background jobs with SIGINT ignored, which dagster dev would inherit
    # and then pass on to SIGTERM too (it gives SIGTERM whatever handler SIGINT has).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    try:
        with running_simulator(token) as url:
            env = {
                **os.environ,
                **state.env(),  # absolute: Dagster runs in DAGSTER_HOME (see dagster_dev)
                **simulator_env(url, token),
            }
            print(f"Starting Dagster: instance {home}, data {env['DIXA_DATA_DIR']}")
            print(f"Its log (webserver, daemon, every run's events): {log_path}")
            with dagster_dev(args.port, env, home, log_path) as process:
                repositories = wait_until_loaded(ui, process)
                switched: list[Switched] = []
                try:
                    switch_on_automation(ui, repositories, switched)
                    run_until_stopped(ui, repositories, settings, home, process)
                finally:
                    if process.poll() is None:  # its webserver still answers
                        switch_off_automation(ui, switched)
    except KeyboardInterrupt:
        print("Stopped.")
    except (DevModeError, httpx.HTTPError) as error:
        tail = log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        print("\n".join(tail), file=sys.stderr)
        print(f"Demo mode failed: {error} (full log: {log_path})", file=sys.stderr)
        return 1
    return 0


def run_until_stopped(
    ui: str,
    repositories: list[Repository],
    settings: Settings,
    home: Path,
    process: subprocess.Popen[bytes],
) -> None:
    for run_id in launch_schedules_now(ui, repositories):
        print(f"Watch it: {ui}/runs/{run_id}")
    print(f"Dagster UI: {ui}  (Ctrl-C stops the UI, the daemon and the simulator)")
    report_checks_once_ready(settings, home, process)
    process.wait()
    raise DevModeError(f"dagster dev exited with code {process.returncode}")


def report_checks_once_ready(
    settings: Settings, home: Path, process: subprocess.Popen[bytes]
) -> None:
    """Once every check but the freshness ones (their sensor runs them every few minutes) has
    a result, print them all, as the demo does: what a first look at the UI would show."""
    while process.poll() is None:
        with DagsterInstance.from_config(str(home)) as instance:
            results = check_results(settings, instance)
        if all(r is not None for k, r in results.items() if k.name != "freshness_check"):
            report_checks(results)
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=CHECK_POLL_S)


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver binds
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


@contextmanager
def dagster_dev(
    port: int, env: Mapping[str, str], home: Path, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Dagster's webserver and daemon (``dg dev``) on loopback, logging to ``log_path``, and
    stopped on exit as by Ctrl-C.

    Its log goes to a file because every run's event log goes there too, and would bury the
    few lines this command prints. It runs in ``home``, not in the project, whose dagster.yaml
    would make it warn that the file is ignored; and in a session of its own, so that a Ctrl-C
    reaches it once, from us (see ``_stop_process_group``), not also from the terminal in the
    middle of its shutdown.
    """
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dg")),
                "dev",
                "--workspace",
                str(PROJECT_ROOT / "workspace.yaml"),
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop_process_group(process)


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Send Ctrl-C to the process and everything it started, as a terminal does, and wait
    until they have all exited, killing whatever is left after ``SHUTDOWN_TIMEOUT_S``.

    dagster dev stops its webserver and daemon itself, but counts on the terminal's Ctrl-C
    to reach its code server and the runs in progress; without it they would outlive us.
    """
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)  # anyone left in the group?
        except ProcessLookupError:
            break
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_until_loaded(ui: str, process: subprocess.Popen[bytes]) -> list[Repository]:
    """Poll the webserver until every code location has loaded; fail if one cannot load."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevModeError(f"dagster dev exited with code {process.returncode}")
        try:
            workspace = graphql(ui, WORKSPACE_QUERY, {"now": time.time()})["workspaceOrError"]
        except (httpx.TransportError, httpx.HTTPStatusError):
            workspace = None  # the webserver is not listening yet
        if workspace and workspace["__typename"] == "PythonError":
            raise DevModeError(f"The workspace failed to load: {workspace['message']}")
        entries = workspace["locationEntries"] if workspace else []
        if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
            return [repo for entry in entries for repo in entry_repositories(entry)]
        time.sleep(0.5)
    raise DevModeError(f"The Dagster UI at {ui} did not load within {STARTUP_TIMEOUT_S:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
