"""Silent feeds: a feed whose last new item is much older than its usual rhythm.

Pure functions over `FeedState`; the store keeps `last_new_item` and `publish_interval`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from wirewatch.storage.records import FeedState

SILENCE_FLOOR = timedelta(hours=24)
SILENCE_FACTOR = 4


def median_gap(times: Iterable[datetime]) -> timedelta | None:
    """The median gap between consecutive times (in any order); None for fewer than two."""
    ordered = sorted(times)
    gaps = [(b - a).total_seconds() for a, b in pairwise(ordered)]
    return timedelta(seconds=median(gaps)) if gaps else None


def silence_threshold(
    state: FeedState, *, floor: timedelta = SILENCE_FLOOR, factor: int = SILENCE_FACTOR
) -> timedelta:
    """How long a feed may go without a new item: max(floor, factor x its median gap)."""
    usual = state.publish_interval or timedelta(0)
    return max(floor, factor * usual)


def is_silent(
    state: FeedState,
    now: datetime,
    *,
    floor: timedelta = SILENCE_FLOOR,
    factor: int = SILENCE_FACTOR,
) -> bool:
    """True when the feed's last new item (or first poll) is older than its threshold."""
    last = state.last_new_item or state.first_polled
    if last is None:
        return False
    return now - last > silence_threshold(state, floor=floor, factor=factor)
