"""A token bucket per source: ``rate_per_s`` sustained, ``burst`` at once.

Reads the monotonic clock; writes nothing. A request over the limit gets HTTP 429 with
the seconds until a token is free.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBucket:
    """Admits ``rate_per_s`` requests per second on average, ``burst`` back to back."""

    def __init__(
        self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate_per_s = rate_per_s
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._updated = clock()

    def take(self) -> float:
        """0 when admitted; otherwise the seconds to wait (rounded up to whole seconds)."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate_per_s)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return float(max(1, math.ceil((1.0 - self._tokens) / self._rate_per_s)))
