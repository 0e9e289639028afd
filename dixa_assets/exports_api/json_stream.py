"""Decode a JSON array as it arrives, a few megabytes of elements at a time.

The Exports API answers a whole window as one JSON array (hundreds of megabytes for a busy day).
Decoding it in one go holds the body and every record as Python objects at once; cutting it into
batches of whole elements bounds memory by one batch, and lets the caller turn each batch into a
compact Arrow table before the next is decoded.

A batch ends at a ``}`` followed by ``,`` and ``{`` (whitespace allowed). Such a sequence can also
occur inside a string value, but then the batch ends inside an open string and fails to decode, so
an earlier cut is tried: a batch that decodes is always made of whole elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

DEFAULT_BATCH_BYTES = 8 * 1024 * 1024
HEAD_BYTES = 200
MAX_CUT_TRIES = 16
# Where an element may end: "}" then "," and the next "{" (not part of the match).
_CUT = re.compile(rb"\}\s*,\s*(?=\{)")
_WHITESPACE = b" \t\r\n"
# An object's opening up to the first byte of its first value: '{"id":1', '{"id":"'.
_ELEMENT_START = re.compile(rb'\{\s*"[^"\\]*"\s*:\s*[-0-9"\[{tfn]')


class NotAnArray(ValueError):
    """The body is valid JSON, but not an array: ``value`` holds what it is."""

    def __init__(self, value: Any) -> None:
        super().__init__("the body is not a JSON array")
        self.value = value


@dataclass(frozen=True)
class Unchecked:
    """A batch of the array's bytes cut where an element probably ends, not yet decoded.

    ``elements`` are the bytes between the array's brackets (or the previous cut's separator);
    ``separator`` the bytes after them, up to the next batch (``,`` and whitespace), kept so that
    joining two batches gives back exactly the bytes of the body.
    """

    elements: bytes
    separator: bytes

    def as_array(self) -> bytes:
        return b"[" + self.elements + b"]"

    def join(self, following: Unchecked) -> Unchecked:
        """This batch and the next one as one (a cut fell inside an element)."""
        return Unchecked(self.elements + self.separator + following.elements, following.separator)


class ArrayDecoder:
    """Feed body bytes in; get decoded batches of array elements out.

    Raises ``orjson.JSONDecodeError`` for a body that is not valid JSON (a truncated one
    included) and :class:`NotAnArray` for valid JSON of another kind.
    """

    def __init__(self, batch_bytes: int | None = None) -> None:
        self._batch_bytes = batch_bytes or DEFAULT_BATCH_BYTES  # read now: tests make batches small
        self._buffer = bytearray()
        self._started = False  # the opening bracket has been consumed
        self._not_array = False  # the body does not start with "[": decode it whole at the end
        self.head = b""  # the body's first bytes, to show in an error message
        self.received = 0  # bytes fed so far
        self._cut_before: re.Pattern[bytes] | None = None  # see _likely_cut

    def feed(self, data: bytes) -> Iterator[list[Any]]:
        self._take(data)
        while self._started and len(self._buffer) >= self._batch_bytes:
            batch = self._cut_batch()
            if batch is None:
                return
            yield batch

    def feed_unchecked(self, data: bytes, batch_bytes: int | None = None) -> Iterator[Unchecked]:
        """Like :meth:`feed`, but batches are cut without decoding them (for decoding elsewhere).

        A cut may then fall inside a string or a nested array: decoding the batch fails, and the
        batch must be joined with the next one (:meth:`Unchecked.join` restores the exact bytes).
        The decoder may switch from :meth:`feed` to this at any time, never back. ``batch_bytes``
        overrides the decoder's size (smaller batches keep each worker process small).
        """
        size = batch_bytes or self._batch_bytes
        self._take(data)
        while self._started and len(self._buffer) >= size:
            cut = self._likely_cut().search(self._buffer, size)
            if cut is None and len(self._buffer) >= 4 * size:
                cut = _CUT.search(self._buffer, size)  # elements that start differently
            if cut is None:
                return
            end, rest = cut.start() + 1, cut.end()
            yield Unchecked(bytes(self._buffer[:end]), bytes(self._buffer[end:rest]))
            del self._buffer[:rest]

    def _likely_cut(self) -> re.Pattern[bytes]:
        """A separator followed by an element that starts as the buffer's first one does.

        Elements of an export all start with the same key and kind of value, nested objects
        (tags, custom fields) mostly not: cutting there seldom falls inside an element.
        """
        if self._cut_before is None:
            start = _ELEMENT_START.match(self._buffer)
            self._cut_before = _CUT
            if start:
                opening, value = start.group(0)[:-1], start.group(0)[-1:]
                kind = rb"[-0-9]" if value in b"-0123456789" else re.escape(value)
                element = re.escape(opening) + kind
                self._cut_before = re.compile(rb"\}\s*,\s*(?=" + element + rb")")
        return self._cut_before

    def close_unchecked(self) -> Iterator[Unchecked]:
        """The last batch, undecoded; raises as :meth:`close` if the body never was an array."""
        if self._not_array or not self._started:
            yield from self.close()
            return
        body, self._buffer = bytes(self._buffer), bytearray()
        yield Unchecked(body.rstrip(_WHITESPACE).removesuffix(b"]"), b"")

    def _take(self, data: bytes) -> None:
        self.received += len(data)
        if len(self.head) < HEAD_BYTES:
            self.head += data[: HEAD_BYTES - len(self.head)]
        self._buffer += data
        if not self._started and not self._not_array:
            stripped = self._buffer.lstrip(_WHITESPACE)
            if not stripped:
                return
            if stripped[:1] != b"[":
                self._not_array = True
                return
            self._buffer = bytearray(stripped[1:])
            self._started = True

    def close(self) -> Iterator[list[Any]]:
        """The last batch; raises if the body was not a complete JSON array."""
        if self._not_array or not self._started:
            value = orjson.loads(bytes(self._buffer))  # raises for invalid or empty JSON
            raise NotAnArray(value)
        last = orjson.loads(b"[" + bytes(self._buffer))
        self._buffer = bytearray()
        if last:
            yield last

    def _cut_batch(self) -> list[Any] | None:
        """Decode a prefix of whole elements of about ``batch_bytes``; drop it from the buffer."""
        buffer = self._buffer
        cuts = [m.start() for m in _CUT.finditer(buffer, self._batch_bytes // 2, self._batch_bytes)]
        if not cuts:
            beyond = _CUT.search(buffer, self._batch_bytes)
            cuts = [beyond.start()] if beyond else []
        for end in reversed(cuts[-MAX_CUT_TRIES:]):
            try:
                batch = orjson.loads(b"[" + bytes(buffer[: end + 1]) + b"]")
            except orjson.JSONDecodeError:
                continue  # the cut fell inside a string: try an earlier one
            rest = buffer.index(b"{", end + 1)
            del buffer[:rest]
            return batch
        return None  # no safe cut yet: wait for more bytes (or decode all at close)
