"""How long a new user's mistakes take to fail, and how much they print, through the CLI.

Each case runs ``dagster asset materialize`` of one day of ``dixa_messages`` with a fresh
``DAGSTER_HOME`` (the repo's ``dagster.yaml``) and one setting wrong: nothing listening at
``DIXA_API_BASE_URL`` (a bound, not listening, loopback port), TLS spoken to a plain-HTTP server
(the simulator), a wrong path in the base URL, and no ``DIXA_API_TOKEN``. Prints seconds, lines
of output, and the first line that names the setting.

    .venv/bin/python benchmarks/setting_mistakes.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import DAGSTER, TOKEN, WORK, SimulatorSize, dagster_setup, simulator

from dixa_assets.simulator import DeadPort

DAY = date(2025, 3, 3)


def attempt(setup, log: Path) -> dict[str, object]:
    command = [
        str(DAGSTER), "asset", "materialize", "-m", "dixa_assets.definitions",
        "--select", "dixa_messages", "--partition", DAY.isoformat(),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=setup.env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    output = (done.stdout + done.stderr).splitlines()
    log.write_text("\n".join(output))
    named = next(
        (
            line.strip()
            for line in output
            if "DIXA_API_BASE_URL" in line or "DIXA_API_TOKEN" in line
        ),
        None,
    )
    return {
        "exit": done.returncode,
        "seconds": round(seconds, 1),
        "lines": len(output),
        "retried": sum("STEP_UP_FOR_RETRY" in line for line in output),
        "first_line_naming_the_setting": named and named[:300],
    }


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"load_average_at_start": os.getloadavg()}
    size = SimulatorSize(20, 3.0, DAY, DAY, date(2025, 3, 4))
    with tempfile.TemporaryDirectory(dir=WORK, prefix="mistakes-") as tmp:
        scratch = Path(tmp)
        with simulator(size, scratch / "sim.log") as url, DeadPort() as dead:
            port = url.rsplit(":", 1)[1]
            cases = {
                "nothing listening": {"DIXA_API_BASE_URL": dead.url},
                "TLS to a plain-HTTP server": {"DIXA_API_BASE_URL": f"https://127.0.0.1:{port}"},
                "wrong path (404)": {"DIXA_API_BASE_URL": url + "/api"},
                "no token": {"DIXA_API_BASE_URL": url, "DIXA_API_TOKEN": ""},
            }
            for name, env in cases.items():
                folder = scratch / name.replace(" ", "-")
                folder.mkdir()
                setup = dagster_setup(folder, url, DAY, 0)
                setup.env.update(env)
                if not env.get("DIXA_API_TOKEN", TOKEN):
                    setup.env.pop("DIXA_API_TOKEN")
                results[name] = attempt(setup, folder / "out.log")
    results["load_average_at_end"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
