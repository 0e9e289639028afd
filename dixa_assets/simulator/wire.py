"""JSON encoding of simulator records, including the float spellings of integral timestamps.

The reference types several timestamps as `number(int64)`, and real payloads sometimes carry them
as JSON floats. A record stores such a value as a Python float, so the in-process ground truth and
the wire agree field by field; `ExponentFloat` additionally forces the scientific spelling
(`1.700000000123e12`) that orjson would never choose on its own for a 13-digit number.
"""

from __future__ import annotations

from typing import Any

import orjson


class ExponentFloat(float):
    """An integral float that serializes in exponent notation; compares equal to the plain float."""

    __slots__ = ()

    def to_json(self) -> bytes:
        """Thirteen significant digits: exact for every integral value below 1e13 (year 2286)."""
        text = format(float(self), ".12e").replace("e+", "e")
        if float(text) != float(self):
            raise ValueError(f"{float(self)!r} cannot be spelled exactly in exponent notation")
        return text.encode()


def _default(value: Any) -> Any:
    if isinstance(value, ExponentFloat):
        return orjson.Fragment(value.to_json())
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Serialize records exactly as the simulator sends them."""
    return orjson.dumps(value, default=_default)
