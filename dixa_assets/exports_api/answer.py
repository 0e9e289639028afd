"""One successful response, decoded batch by batch and filtered back to the window asked for."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import orjson

from dixa_assets.exports_api.errors import MalformedResponse
from dixa_assets.exports_api.windows import Window
from dixa_assets.http_common.policy import excerpt, json_kind

Record = dict[str, Any]
T = TypeVar("T")
C = TypeVar("C")
T_co = TypeVar("T_co", covariant=True)
Convert = Callable[[list[Record]], T]


class Sink(Protocol[T_co]):
    """Where one attempt's records go as they are decoded (a batch of whole records at a time).

    The client opens a sink per attempt: ``finish`` once the answer is complete (its result is
    the piece's content), ``discard`` when the attempt fails (nothing of it may remain).
    """

    def add(self, records: list[Record]) -> None: ...
    def finish(self) -> T_co: ...
    def discard(self) -> None: ...


class Batches(Generic[T]):
    """A sink that keeps each batch as ``convert`` makes it: content is the list of them."""

    def __init__(self, convert: Convert[T]) -> None:
        self._convert = convert
        self._parts: list[T] = []

    def add(self, records: list[Record]) -> None:
        self._parts.append(self._convert(records))

    def finish(self) -> list[T]:
        return self._parts

    def discard(self) -> None:
        self._parts = []


def batches(convert: Convert[T]) -> Callable[[], Batches[T]]:
    """Open a :class:`Batches` sink of ``convert`` per attempt (the client's default, ``list``)."""
    return lambda: Batches(convert)


@dataclass(frozen=True)
class Piece(Generic[T]):
    """The answer to one request: what its sink made of it, and what was left out.

    ``window`` is the piece of the split window this request covered (``None`` for a csids
    query). Records outside the filters were not kept: ``edge_records`` fell in the one-millisecond
    padding of the request (the neighbouring window's, expected when the API's bounds are
    inclusive); ``stray_ids`` fell outside what was asked for at all, which only a misbehaving
    API does.
    """

    window: Window | None
    content: T
    edge_records: int
    stray_ids: list[Any]
    # The server's clock when it answered (its ``Date`` header, else ours when we asked): the
    # answer holds every record changed before this instant.
    served_at_ms: int

    def log_left_out(self, log: logging.Logger, endpoint: str) -> None:
        """Say what the API sent that this piece did not keep."""
        if self.edge_records:
            log.info(
                "%s returned %d record(s) on the 1 ms padded edges of the requested "
                "bounds: they belong to the neighbouring window and are not kept here.",
                endpoint,
                self.edge_records,
            )
        if self.stray_ids:
            log.warning(
                "%s returned %d record(s) outside the requested bounds; not kept. ids: %s",
                endpoint,
                len(self.stray_ids),
                self.stray_ids[:10],
            )


class Answer(Generic[T]):
    """Checks and filters the batches of one response as they are decoded, into its sink."""

    def __init__(self, filters: Mapping[str, Window], sink: Sink[T], where: str) -> None:
        self.filters = filters
        self._sink = sink
        self._where = where
        self.seen = 0  # elements of the array decoded so far, to name a bad one's position
        self.kept = 0
        self.edges = 0
        self.stray_ids: list[Any] = []

    def add(self, batch: list[Any]) -> None:
        """A batch decoded here: its records go to the sink as they are."""
        self.add_decoded(check_batch(batch, self.filters, _as_they_are), self._sink.add)

    def add_decoded(self, decoded: Decoded[Any], add_converted: Callable[[Any], None]) -> None:
        """A batch checked by :func:`check_batch`, here or in a worker process; raises for an
        element that is not an object, naming its place in the whole body."""
        if decoded.not_an_object is not None:
            bad = decoded.not_an_object
            raise MalformedResponse(
                f"{self._where}: element {self.seen + bad.index} of the array is a JSON "
                f"{bad.kind}, not an object: {bad.excerpt}"
            )
        self.seen += decoded.elements
        add_converted(decoded.converted)
        self.kept += decoded.kept
        self.edges += decoded.edges
        self.stray_ids.extend(decoded.stray_ids)

    def piece(self, window: Window | None, served_at_ms: int) -> Piece[T]:
        return Piece(window, self._sink.finish(), self.edges, self.stray_ids, served_at_ms)


@dataclass(frozen=True)
class NotAnObject:
    """An element of the array that is not a JSON object: its index in the batch, and a glimpse."""

    index: int
    kind: str
    excerpt: str


@dataclass(frozen=True)
class Decoded(Generic[C]):
    """One batch, checked, filtered to its window and converted."""

    elements: int
    edges: int
    stray_ids: list[Any]
    kept: int
    converted: C | None
    not_an_object: NotAnObject | None = None


def check_batch(
    items: list[Any], filters: Mapping[str, Window], convert: Callable[[list[Record]], C]
) -> Decoded[C]:
    """A decoded batch's elements checked to be objects, kept inside ``filters`` and converted.

    Returns what went wrong rather than raising, as it may run in a worker process, which does
    not know where the batch sits in the body.
    """
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            glimpse = excerpt(orjson.dumps(item))
            return Decoded(len(items), 0, [], 0, None, NotAnObject(index, json_kind(item), glimpse))
    kept, edges, strays = keep_inside(items, filters)
    stray_ids = [record.get("id") for record in strays]
    return Decoded(len(items), edges, stray_ids, len(kept), convert(kept))


def _as_they_are(records: list[Record]) -> list[Record]:
    return records


def keep_inside(
    records: Iterable[Record], filters: Mapping[str, Window]
) -> tuple[list[Record], int, list[Record]]:
    """Records inside every half-open window; how many others lay on the padded edges; strays."""
    kept: list[Record] = []
    edges = 0
    strays: list[Record] = []
    checks = [(name, w.start_ms, w.end_ms) for name, w in filters.items()]
    for record in records:
        inside = on_edge = True
        for name, start, end in checks:
            value = record.get(name)
            if not isinstance(value, int | float):
                inside = on_edge = False
                break
            if not start <= value < end:
                inside = False
                on_edge = on_edge and start - 1 <= value <= end
        if inside:
            kept.append(record)
        elif on_edge:
            edges += 1
        else:
            strays.append(record)
    return kept, edges, strays


@dataclass(frozen=True)
class Export(Generic[T]):
    """All pieces of one export, collected (for callers that want the whole answer at once)."""

    parts: list[T]  # every piece's batches, in order
    requests: int
    edge_records: int
    stray_ids: list[Any]
    served_at_ms: int  # the earliest over the requests

    def records(self: Export[list[Record]]) -> list[Record]:
        """All records, when the batches were kept as lists (the default ``convert``)."""
        return [record for part in self.parts for record in part]


def collect(pieces: Iterator[Piece[list[T]]]) -> Export[T]:
    """Every piece of an export, gathered into one answer."""
    parts: list[T] = []
    count = edges = 0
    strays: list[Any] = []
    served: list[int] = []
    for piece in pieces:
        parts.extend(piece.content)
        count += 1
        edges += piece.edge_records
        strays.extend(piece.stray_ids)
        served.append(piece.served_at_ms)
    return Export(parts, count, edges, strays, min(served))
