"""A token bucket for per-notifier rate limits; time is passed in, nothing sleeps.

The dispatcher asks `take(now)` before each send. When the bucket is empty it asks `wait(now,
position)` how long the `position`-th message in line (0 = next) must wait, and postpones that
row in the outbox until then instead of sleeping.
"""

from __future__ import annotations

import math


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; a rate of 0 means no limit."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate < 0 or not math.isfinite(rate):
            raise ValueError(f"rate must be a finite number >= 0, not {rate}")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._tokens = self.burst
        self._last: float | None = None

    @property
    def unlimited(self) -> bool:
        return self.rate == 0

    def take(self, now: float) -> bool:
        """Spend one token if there is one; `now` is in seconds on any monotonic scale."""
        if self.unlimited:
            return True
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self, now: float, position: int = 0) -> float:
        """Seconds until the message `position` places behind the next one may be sent."""
        if self.unlimited:
            return 0.0
        self._refill(now)
        return max(0.0, (position + 1 - self._tokens) / self.rate)

    def _refill(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        if self._last is None or now > self._last:
            self._last = now
