"""Capped exponential backoff with jitter, and the Retry-After header.

Pure functions: randomness and the current time are passed in. Used by the feed scheduler (how
long to wait before polling a failing feed again) and by the delivery dispatcher (when to retry
an outbox row). Backoff never gives up: after many failures the delay simply stays at `cap`.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

Jitter = Literal["full", "equal", "none"]

DEFAULT_CAP = 6 * 3600.0
_MAX_EXPONENT = 1000  # 2.0**1000 is finite; anything beyond is capped anyway
_SECONDS = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class Backoff:
    """A retry policy: the first delay `base`, doubling per failure up to `cap`, with jitter.

    `full` jitter draws from [0, d], `equal` from [d/2, d], `none` returns d itself.
    """

    base: float
    cap: float = DEFAULT_CAP
    jitter: Jitter = "full"

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap or not math.isfinite(self.cap):
            raise ValueError(f"backoff needs 0 < base <= cap < inf, got {self.base}, {self.cap}")

    def delay(
        self, failures: int, *, rng: random.Random, retry_after: float | None = None
    ) -> float:
        """Seconds to wait after `failures` consecutive failures."""
        return next_delay(
            failures,
            base=self.base,
            cap=self.cap,
            rng=rng,
            jitter=self.jitter,
            retry_after=retry_after,
        )


def next_delay(
    failures: int,
    *,
    base: float,
    cap: float = DEFAULT_CAP,
    rng: random.Random,
    jitter: Jitter = "full",
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after `failures` consecutive failures (0 failures: no wait).

    The ceiling is `base * 2**(failures - 1)`, capped at `cap`, then jittered. A server's
    `retry_after` wins when it is larger, but it is clamped to `cap` too, so that a broken or
    hostile header cannot silence a feed or a destination for good.
    """
    if failures <= 0:
        delay = 0.0
    else:
        ceiling = min(cap, base * 2.0 ** min(failures - 1, _MAX_EXPONENT))
        delay = _jittered(ceiling, jitter, rng)
    if retry_after is not None and math.isfinite(retry_after):
        delay = max(delay, min(retry_after, cap))
    return delay


def _jittered(ceiling: float, jitter: Jitter, rng: random.Random) -> float:
    if jitter == "full":
        return rng.uniform(0.0, ceiling)
    if jitter == "equal":
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)
    return ceiling


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait according to a Retry-After header, or None when absent or unreadable.

    The one reading, for the feed fetcher and every notifier. Both forms of RFC 9110 section
    10.2.3 are read: delay-seconds ("120"; a decimal fraction is tolerated, a sign is not) and
    an HTTP-date in any of its three formats ("Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC
    850 and asctime ones). An HTTP-date is always UTC (RFC 9110 section 5.6.7), so a date that
    writes no zone (asctime) is read as UTC, as is a naive `now`. A date in the past means 0.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (_aware(when) - _aware(now)).total_seconds())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
