"""`python -m dixa_assets.simulator` announces its URL, serves, and exits cleanly on SIGTERM."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys

from dixa_assets_tests.simulator.support import HTTP


def test_cli_serves_until_sigterm() -> None:
    command = [
        sys.executable, "-m", "dixa_assets.simulator", "--port", "0", "--token", "cli-token",
        "--now", "2024-03-01", "--conversations-per-day", "5", "--requests-per-minute", "0",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("Dixa Exports simulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        assert HTTP.get(url + "/_sim/health").json() == {"status": "ok"}
        assert HTTP.get(url + "/_sim/clock").json() == {"now_ms": 1709251200000}
        response = HTTP.get(
            url + "/v1/conversation_export",
            params={"created_after": "2024-01-01", "created_before": "2024-01-02"},
            headers={"Authorization": "Bearer cli-token"},
        )
        # Inclusive bounds by default: the next day's midnight conversation (10_005) is in.
        assert [r["id"] for r in response.json()] == list(range(10_000, 10_006))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()


def test_cli_legacy_auth_and_objects_only_tags_info() -> None:
    command = [
        sys.executable, "-m", "dixa_assets.simulator", "--port", "0", "--token", "cli-token",
        "--now", "2024-03-01", "--conversations-per-day", "200", "--requests-per-minute", "0",
        "--accept-legacy-basic-auth", "--tags-info-shape", "objects",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        legacy = base64.b64encode(b"bearer:cli-token").decode()
        response = HTTP.get(
            url + "/v1/conversation_export",
            params={"created_after": "2024-01-01", "created_before": "2024-01-08"},
            headers={"Authorization": f"Basic {legacy}"},
        )
        assert response.status_code == 200
        items = [item for r in response.json() for item in r.get("tags_info") or []]
        assert items and all(isinstance(item, dict) for item in items)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
