"""Fetch pieces a few at a time and hand them back in order, halving those that prove too big.

Only the pieces in flight and the one being consumed are held, so an export of any length runs
in bounded memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from dixa_assets.exports_api.answer import Piece
from dixa_assets.exports_api.queries import Query

T = TypeVar("T")


class Halve(Exception):
    """Internal: the piece failed as too big; fetch its halves instead."""


def fetch_in_order(
    queries: Iterator[Query],
    fetch: Callable[[Query], Piece[T]],
    halved: Callable[[Query, Query], None],
    max_concurrency: int,
) -> Iterator[Piece[T]]:
    """``fetch`` ``queries`` with at most ``max_concurrency`` in flight; yield pieces in order.

    A query whose fetch raises :class:`Halve` is replaced, in place, by its two halves;
    ``halved(query, first_half)`` is told first.
    """
    pool = ThreadPoolExecutor(max_concurrency, thread_name_prefix="dixa-export")
    pending: deque[tuple[Query, Future[Piece[T]]]] = deque()

    def submit(query: Query) -> tuple[Query, Future[Piece[T]]]:
        return query, pool.submit(fetch, query)

    def fill() -> None:
        while len(pending) < max_concurrency:
            query = next(queries, None)
            if query is None:
                return
            pending.append(submit(query))

    try:
        fill()
        while pending:
            query, future = pending.popleft()
            try:
                piece = future.result()
            except Halve:
                first, second = query.halves()
                halved(query, first)
                halves = [submit(first), submit(second)]  # the pool starts them in order
                pending.extendleft(reversed(halves))
                continue
            fill()
            yield piece
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True)
