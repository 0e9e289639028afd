"""One answer's body, decoded into its :class:`.Answer` as it arrives.

Small bodies are decoded batch by batch in the requesting thread. Once a body proves big (its
``Content-Length``, or the bytes so far) and the sink can convert elsewhere, its remaining batches
are cut without decoding and handed to the worker processes of :mod:`.decoding_pool`, their
results taken in the body's order all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from dixa_assets.exports_api.answer import Answer, Decoded, Sink
from dixa_assets.exports_api.decoding_pool import BatchesInFlight, ConvertingSink, DecodingPool
from dixa_assets.exports_api.json_stream import ArrayDecoder, Unchecked


def read_body(
    chunks: Iterable[bytes],
    decoder: ArrayDecoder,
    answer: Answer[Any],
    sink: Sink[Any],
    pool: DecodingPool,
    expected_bytes: int = 0,
) -> None:
    """Decode ``chunks`` (the body) into ``answer``; raises what decoding raises."""
    converting = _converting(sink)
    in_flight: BatchesInFlight[Any] | None = None
    try:
        for data in chunks:
            big = max(expected_bytes, decoder.received) >= pool.from_bytes
            if in_flight is None and converting is not None and pool.enabled and big:
                in_flight = BatchesInFlight(pool, answer.filters, converting.convert)
            if in_flight is None:
                for batch in decoder.feed(data):
                    answer.add(batch)
            else:
                cut = decoder.feed_unchecked(data, pool.batch_bytes)
                for decoded in _pushed(in_flight, cut):
                    answer.add_decoded(decoded, converting.add_converted)  # type: ignore[union-attr]
        if in_flight is None:
            for batch in decoder.close():
                answer.add(batch)
        else:
            for decoded in _pushed(in_flight, decoder.close_unchecked(), finish=True):
                answer.add_decoded(decoded, converting.add_converted)  # type: ignore[union-attr]
    finally:
        if in_flight is not None:
            in_flight.cancel()


def _converting(sink: Sink[Any]) -> ConvertingSink[Any] | None:
    """The sink, if its conversion can run in a worker process (see :class:`.ConvertingSink`)."""
    if callable(getattr(sink, "convert", None)) and callable(getattr(sink, "add_converted", None)):
        return sink  # type: ignore[return-value]
    return None


def _pushed(
    in_flight: BatchesInFlight[Any], cut: Iterator[Unchecked], *, finish: bool = False
) -> Iterator[Decoded[Any]]:
    """The results due after submitting the ``cut`` batches (every one left, when ``finish``)."""
    for batch in cut:
        yield from in_flight.push(batch)
    if finish:
        yield from in_flight.finish()
