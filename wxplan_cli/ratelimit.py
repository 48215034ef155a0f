"""A token bucket shared by a batch's workers: at most ``rate`` requests per second, all threads together.

Each acquisition takes a token; the bucket holds at most ``burst`` and refills at ``rate`` per second.
A caller that finds it empty reserves the next token (the count goes below zero) and waits for it, so
waiting threads are served in turn without polling and the spacing stays exact. ``rate`` None means no
limit. The clock and the wait are injectable for tests; a wait may be cut short by a stop event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]


class TokenBucket:
    """``acquire()`` before each request; thread-safe."""

    def __init__(self, rate: float | None, *, burst: float = 1.0, clock: Clock = time.monotonic) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (None for no limit)")
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token; the seconds to wait before using it (0.0 when one was there)."""
        if self.rate is None:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a token; False (without waiting longer) when ``stop`` is set meanwhile."""
        delay = self.reserve()
        if stop is None:
            if delay > 0:
                time.sleep(delay)
            return True
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()
