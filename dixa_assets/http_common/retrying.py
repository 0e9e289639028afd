"""The retry bookkeeping both API clients share: wait, count, log, sleep; one definition."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .policy import jittered_backoff


class RetryBookkeeping:
    """Mixed into a client that sets these attributes; the request loops stay the clients' own."""

    _max_attempts: int
    _backoff_s: float
    _max_backoff_s: float
    _pacer: Any  # a RequestPacer: defer() after a Retry-After
    _sleep: Callable[[float], None]
    _log: logging.Logger
    _lock: threading.Lock
    metrics: Any  # a CallMetrics

    def _setup_retries(
        self,
        *,
        max_attempts: int,
        backoff_s: float,
        max_backoff_s: float,
        pacer: Any,
        sleep: Callable[[float], None],
        logger: logging.Logger,
        metrics: Any,
    ) -> None:
        """Set the attributes above; called once from the client's ``__init__``."""
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._pacer = pacer
        self._sleep = sleep
        self._log = logger
        self._lock = threading.Lock()
        self.metrics = metrics

    def _backoff(self, attempt: int) -> float:
        return jittered_backoff(attempt, self._backoff_s, self._max_backoff_s)

    def _record(self, waited: float, started: float, size: int, outcome: str) -> None:
        with self._lock:
            self.metrics.count_request(waited, time.perf_counter() - started, size, outcome)

    def _wait_to_retry(
        self, where: str, problem: str, attempt: int, retry_after: float | None
    ) -> None:
        """Before attempt ``attempt + 1``: the server's Retry-After, else jittered backoff."""
        delay = retry_after if retry_after is not None else self._backoff(attempt)
        if retry_after is not None:
            self._pacer.defer(retry_after)
        self._log.warning(
            "%s failed (%s); attempt %d of %d, retrying in %.1fs",
            where,
            problem,
            attempt,
            self._max_attempts,
            delay,
        )
        with self._lock:
            self.metrics.retries += 1
            self.metrics.waited_seconds += delay
        self._sleep(delay)
