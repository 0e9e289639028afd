"""Batches of a big answer decoded and converted in worker processes, every core at once.

Decoding JSON into Python objects and converting them to Arrow hold the GIL, so one process
does it on one core while the others wait. For a body of tens of megabytes and more, the client
cuts the array into batches without decoding them (:meth:`.ArrayDecoder.feed_unchecked`) and
hands each to a pool of worker processes, which decode it, check its elements, keep those inside
the window and convert them with the sink's ``convert``; only its compact result comes back (for
the raw assets, the paths of the day files the worker wrote). Results are taken in order. A cut
that fell inside a string or a nested array makes its batch (and the next) undecodable: that
batch is joined with the next and decoded again, so the outcome is exactly that of decoding the
body in one piece.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, Protocol, TypeVar

import orjson

from dixa_assets.exports_api import worker_processes
from dixa_assets.exports_api.answer import Decoded, Record, Sink, check_batch
from dixa_assets.exports_api.json_stream import Unchecked
from dixa_assets.exports_api.windows import Window

C = TypeVar("C")
# Bodies smaller than this are decoded in the requesting thread: starting workers costs more.
PARALLEL_FROM_BYTES = 32 * 1024 * 1024
# A batch for a worker: its decoded objects (several times its bytes) are a worker's peak memory.
PARALLEL_BATCH_BYTES = 2 * 1024 * 1024


class ConvertingSink(Sink[Any], Protocol[C]):
    """A sink whose conversion can run in another process.

    ``convert`` must be picklable (a function of an importable module, not of the main script,
    or a ``functools.partial`` of one: the workers do not run the main script); ``add_converted``
    takes its result in this process, in the body's order.
    """

    convert: Callable[[list[Record]], C]

    def add_converted(self, converted: C) -> None: ...


def decode_batch(
    elements: bytes, filters: Mapping[str, Window], convert: Callable[[list[Record]], C]
) -> Decoded[C] | None:
    """A batch's bytes (the elements of a JSON array, without brackets) decoded and converted;
    ``None`` if they are not valid JSON.

    Runs in a worker process: what it returns is pickled back (see :func:`.check_batch`).
    """
    try:
        items = orjson.loads(b"[" + elements + b"]")
    except orjson.JSONDecodeError:
        return None
    return check_batch(items, filters, convert)


class DecodingPool:
    """Worker processes for :func:`decode_batch` (see :mod:`.worker_processes`), started on
    first use and kept until closed."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes if processes is not None else min(os.cpu_count() or 1, 4)
        self.from_bytes = PARALLEL_FROM_BYTES  # read now: tests make it small
        self.batch_bytes = PARALLEL_BATCH_BYTES
        self._pool: ProcessPoolExecutor | None = None
        self._starting = threading.Lock()
        self._broken = False

    @property
    def enabled(self) -> bool:
        return self.processes > 0 and worker_processes.AVAILABLE

    def submit(
        self, unchecked: Unchecked, filters: Mapping[str, Window], convert: Callable[..., C]
    ) -> Future[Decoded[C] | None]:
        """The batch's result to come; computed here at once if the workers are gone."""
        pool = self._running(convert)
        if pool is not None:
            try:
                return pool.submit(decode_batch, unchecked.elements, filters, convert)
            except BrokenProcessPool:
                self.broken()
            except RuntimeError:  # shut down meanwhile by another answer's thread, as broken
                if not self._broken:
                    raise
        done: Future[Decoded[C] | None] = Future()
        done.set_result(decode_batch(unchecked.elements, filters, convert))
        return done

    def _running(self, convert: Callable[..., Any]) -> ProcessPoolExecutor | None:
        """The workers, started on first use; None once they are gone for good."""
        with self._starting:  # two answers' threads may both be the first to submit
            if self._pool is None and not self._broken:
                module = getattr(getattr(convert, "func", convert), "__module__", None)
                preload = [__name__, *([module] if module else [])]
                self._pool = worker_processes.worker_pool(self.processes, preload)
            return self._pool

    def broken(self) -> None:
        """A worker died (killed for memory, say): decode here from now on; nothing is lost,
        as every batch in flight is decoded again from the bytes kept for it."""
        self._broken = True
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class BatchesInFlight(Generic[C]):
    """The batches of one answer submitted to a :class:`DecodingPool`, results taken in order.

    A few batches per worker are in flight at once, which bounds memory; each batch's bytes are kept
    until its result is in, in case it must be joined with the next.
    """

    def __init__(
        self,
        pool: DecodingPool,
        filters: Mapping[str, Window],
        convert: Callable[[list[Record]], C],
    ) -> None:
        self._pool = pool
        self._filters = filters
        self._convert = convert
        self._queue: deque[tuple[Unchecked, Future[Decoded[C] | None]]] = deque()
        self._carry: Unchecked | None = None  # an undecodable batch, to join with the next
        self._depth = 2 * pool.processes

    def push(self, unchecked: Unchecked) -> Iterator[Decoded[C]]:
        """Submit a batch; yields the results that are due (oldest first)."""
        self._queue.append((unchecked, self._pool.submit(unchecked, self._filters, self._convert)))
        while len(self._queue) > self._depth:
            yield from self._take()

    def finish(self) -> Iterator[Decoded[C]]:
        """Every remaining result; raises ``orjson.JSONDecodeError`` if the body is not JSON."""
        while self._queue:
            yield from self._take()
        if self._carry is not None:
            orjson.loads(self._carry.as_array())  # raises: the body itself is broken
            raise AssertionError("unreachable: a batch that failed to decode decoded")

    def cancel(self) -> None:
        """Drop what has not started; wait for what has, so that it writes nothing afterwards
        (the sink deletes what the attempt wrote once this returns)."""
        futures = [future for _, future in self._queue]
        self._queue.clear()
        running = [future for future in futures if not future.cancel()]
        wait(running)

    def _take(self) -> Iterator[Decoded[C]]:
        unchecked, future = self._queue.popleft()
        try:
            decoded = future.result()
        except BrokenProcessPool:
            self._pool.broken()
            decoded = decode_batch(unchecked.elements, self._filters, self._convert)
        if self._carry is not None:
            # The previous batch was cut inside an element, so this one starts inside it too.
            unchecked, self._carry = self._carry.join(unchecked), None
            decoded = decode_batch(unchecked.elements, self._filters, self._convert)
        if decoded is None:
            self._carry = unchecked
            return
        yield decoded
