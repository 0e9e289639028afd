"""Decoding workers start with what they need: not the parent's main module, not pandas."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pyarrow as pa

from dixa_assets.exports_api import worker_processes
from dixa_assets.exports_api.decoding_pool import DecodingPool

PARENT = textwrap.dedent(
    """
    import json
    from dixa_assets.exports_api.worker_processes import worker_pool
    from dixa_assets_tests.exports_api.test_worker_processes import what_a_worker_has

    if __name__ == "__main__":
        with worker_pool(2, [what_a_worker_has.__module__]) as pool:
            print(json.dumps(pool.submit(what_a_worker_has).result()))
    """
)


def what_a_worker_has() -> dict[str, object]:
    converted = pa.array([{"id": 1, "tags": ["a"]}]).to_pylist()  # pyarrow's first conversion
    return {
        "converted": converted,
        # where multiprocessing puts the parent's main module when it runs it again
        "main_module_file": getattr(sys.modules.get("__mp_main__"), "__file__", None),
        "pandas": "pandas" in sys.modules,
    }


def test_workers_neither_run_the_parents_main_module_nor_import_pandas(tmp_path):
    # The parent is a script, as `dagster asset materialize` is: multiprocessing would run it
    # again in every worker (for Dagster's command line, 0.5 s and 100 MiB each).
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == {
        "converted": [{"id": 1, "tags": ["a"]}],
        "main_module_file": None,
        "pandas": False,
    }


TWO_AT_ONCE = textwrap.dedent(
    """
    import sys, threading
    from dixa_assets.exports_api.worker_processes import worker_pool

    if __name__ == "__main__":
        main = sys.modules["__main__"]
        pools = []

        def start():
            pool = worker_pool(1, [])
            pools.append(pool)
            pool.submit(int).result()

        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for pool in pools:
            pool.shutdown()
        print(sys.modules["__main__"] is main)
    """
)


def test_pools_started_at_once_give_the_main_module_back(tmp_path):
    # The first launch waits for the server to import its modules, with the main module hidden:
    # a second launch meanwhile must not take the stand-in for the main module and restore it.
    script = tmp_path / "parent.py"
    script.write_text(TWO_AT_ONCE)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "True"


def test_without_a_forkserver_big_answers_are_decoded_in_the_thread(monkeypatch):
    monkeypatch.setattr(worker_processes, "AVAILABLE", False)  # as on Windows
    assert not DecodingPool(2).enabled
    assert DecodingPool(0).enabled is False
