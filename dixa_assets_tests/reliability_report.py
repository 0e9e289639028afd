"""Figures the reliability tests collect, printed at the end of the test session."""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()

ORDER = (
    "faults injected",
    "runs",
    "runs succeeded",
    "runs failed loudly",
    "partitions checked",
    "records expected",
    "records lost",
    "records duplicated",
)


def lines() -> list[str]:
    return [f"{name}: {FIGURES[name]}" for name in ORDER if name in FIGURES] + [
        f"{name}: {count}" for name, count in sorted(FIGURES.items()) if name not in ORDER
    ]
