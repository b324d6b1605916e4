"""Quiet hours per notifier (Alertmanager's time intervals): hold deliveries during them. Pure.

    notifiers:
      - {name: slack-desk, type: webhook, url: ..., quiet: "22:00-07:00 Europe/London"}

A delivery due while its notifier is quiet is held until the quiet hours end (the time zone's
own clock, so the hours follow daylight saving). Then every alert held that way goes out
together as one digest, instead of a burst of single messages. Nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SPEC = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(\S+))?\s*")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From `start` to `end` each day, wall-clock time in `zone`; may span midnight."""

    start: time
    end: time
    zone: tzinfo = UTC
    text: str = ""

    def contains(self, moment: datetime) -> bool:
        now = moment.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first end of quiet hours strictly after `moment` (UTC)."""
        return next_at(self.end, self.zone, moment)


def next_at(at: time, zone: tzinfo, moment: datetime) -> datetime:
    """The first moment strictly after `moment` when the clock in `zone` reads `at`, in UTC
    (the zone's own clock: daylight saving moves it). Quiet hours and daily digests use it."""
    local = moment.astimezone(zone)
    slot = datetime.combine(local.date(), at, tzinfo=zone)
    if slot <= local:
        slot = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return slot.astimezone(UTC)


def parse_quiet(text: str) -> QuietHours:
    """Read `22:00-07:00 Europe/London` (the zone defaults to UTC); ValueError says why not."""
    found = _SPEC.fullmatch(text)
    if not found:
        raise ValueError(
            f"quiet {text!r} is not HH:MM-HH:MM [Zone], e.g. 22:00-07:00 Europe/London"
        )
    h1, m1, h2, m2, zone = found.groups()
    start, end = _clock(h1, m1, text), _clock(h2, m2, text)
    if start == end:
        raise ValueError(f"quiet {text!r} starts and ends at the same time")
    return QuietHours(start, end, _zone(zone, text) if zone else UTC, text.strip())


def _clock(hour: str, minute: str, text: str) -> time:
    if int(hour) > 23 or int(minute) > 59:
        raise ValueError(f"quiet {text!r}: {hour}:{minute} is not a time of day")
    return time(int(hour), int(minute))


def _zone(name: str, text: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"quiet {text!r}: unknown time zone {name!r}") from None
