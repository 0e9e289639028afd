"""Decoding workers start with what they need: not the parent's main module, not pandas."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pyarrow as pa

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
