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
from typing import Any

import orjson

DEFAULT_BATCH_BYTES = 8 * 1024 * 1024
HEAD_BYTES = 200
MAX_CUT_TRIES = 16
_CUT = re.compile(rb"\}\s*,\s*\{")
_WHITESPACE = b" \t\r\n"


class NotAnArray(ValueError):
    """The body is valid JSON, but not an array: ``value`` holds what it is."""

    def __init__(self, value: Any) -> None:
        super().__init__("the body is not a JSON array")
        self.value = value


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

    def feed(self, data: bytes) -> Iterator[list[Any]]:
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
        while self._started and len(self._buffer) >= self._batch_bytes:
            batch = self._cut_batch()
            if batch is None:
                return
            yield batch

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
