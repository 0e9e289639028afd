"""A range run in a process of its own, for tests that kill it (``python -m`` this module).

Arguments: simulator URL, data folder, Dagster home, first day, last day.
"""

from __future__ import annotations

import sys

from dagster import DagsterInstance

from dixa_assets_tests.conftest import make_settings, run_assets


class _At:
    def __init__(self, url: str) -> None:
        self.url = url


def main(url: str, data_dir: str, home: str, first: str, last: str) -> None:
    settings = make_settings(None, _At(url), data_dir=data_dir)
    with DagsterInstance.local_temp(home) as instance:
        run_assets(
            settings, ["dixa_messages"], first, last, instance=instance, max_concurrent_requests=1
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
