"""Worker processes that start with what decoding needs and nothing else.

They are forked from a ``forkserver`` that has imported the modules named in ``preload``
(forking this threaded process itself is unsafe). Two things multiprocessing would otherwise do
that the decoding never uses, both on the critical path of a big answer:

* Each new worker runs the parent's main module again (``multiprocessing.spawn.prepare``), so
  that functions defined there can be unpickled. Under ``dagster asset materialize`` that main
  module is Dagster's command line: 0.5 s and about 100 MiB per worker. Our workers run only
  functions of this package, so the parent's main module is hidden while a worker is launched.
* pyarrow imports pandas on its first conversion from Python objects, only to ask whether the
  list it is given is a pandas object: 0.2 s and about 50 MiB per worker. A worker is told that
  pandas is not there.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

# Not on Windows: there, big answers are decoded in the requesting thread (see DecodingPool).
AVAILABLE = "forkserver" in multiprocessing.get_all_start_methods()
_LAUNCHING = threading.Lock()  # two launches at once would restore each other's stand-in

if AVAILABLE:
    from multiprocessing.context import ForkServerContext, ForkServerProcess

    class _WithoutParentMain(ForkServerProcess):
        @staticmethod
        def _Popen(process_obj: Any) -> Any:
            with _main_module_hidden():
                return ForkServerProcess._Popen(process_obj)

    class _Context(ForkServerContext):
        Process = _WithoutParentMain  # type: ignore[assignment]


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """What the new process is told about the main module is read from ``sys.modules``.

    Hidden from every thread while a worker is launched: a few milliseconds, or, for the first
    worker, until the server has imported ``preload`` (0.3 s). Nothing of the project or of
    Dagster's run reads ``__main__`` meanwhile.
    """
    with _LAUNCHING:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class _NoPandas:
    """An import finder that says pandas is not installed (pyarrow then does without it)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not used by decoding workers", name=name)


def _start_worker() -> None:
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


def worker_pool(processes: int, preload: Sequence[str]) -> ProcessPoolExecutor:
    """A pool of ``processes`` workers forked from a server that has imported ``preload``."""
    context = _Context()
    context.set_forkserver_preload(list(preload))  # the server is one per process, shared
    return ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker)
