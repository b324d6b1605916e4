"""Flood control and digest schedules: which due rows of one notifier go out now, alone or
together in one `alert.digest`, and which wait for a later digest.

Flood control (`FloodGate` without a schedule): while no more than `threshold` alerts reach a
notifier within `window`, each goes out alone. When one more would cross it, every row due now
goes out as one digest, and the notifier stays quiet until the window ends: rows arriving in the
meantime are held until then and go out together as the next digest. If that digest carries
more than `threshold` alerts, the flood goes on for another window; otherwise it is over.
Rows created before the last digest went out (they did not fit in that claim) follow at once.

A schedule (`Every`, `DailyAt`) makes every delivery a digest: each row waits for the first
slot after it was created, and the rows of one slot go out together. Slots are computed from
the row alone, so a restart neither loses nor shifts them.

Counts live in memory: a restart forgets the recent history, which only weakens the grouping.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wirewatch.config.durations import DurationError, parse_duration
from wirewatch.delivery.intervals import next_at
from wirewatch.storage.base import DeliveryRecord

Hold = tuple[DeliveryRecord, datetime]
"""A row to postpone, and until when."""

_EVERY = re.compile(r"every\s+(\S.*)", re.IGNORECASE)
_DAILY = re.compile(r"daily\s+(?:at\s+)?(\d{1,2}):(\d{2})(?:\s+(\S+))?", re.IGNORECASE)


def digest_id(member_ids: Iterable[str]) -> str:
    """The delivery id of a digest: stable for the same members, whatever their order."""
    joined = "\n".join(sorted(member_ids)).encode()
    return f"msg_digest_{hashlib.sha256(joined).hexdigest()[:32]}"


class Schedule(Protocol):
    """When scheduled digests go out."""

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after `moment` (both aware)."""
        ...


@dataclass(frozen=True, slots=True)
class Every:
    """A slot every `interval`, aligned on the UTC epoch (every 30 min: :00 and :30)."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError(f"a digest interval must be positive, not {self.interval}")

    def next_after(self, moment: datetime) -> datetime:
        step = self.interval.total_seconds()
        return datetime.fromtimestamp((math.floor(moment.timestamp() / step) + 1) * step, UTC)


@dataclass(frozen=True, slots=True)
class DailyAt:
    """A slot each day at `at`, wall-clock time in `zone`."""

    at: time
    zone: tzinfo = UTC

    def next_after(self, moment: datetime) -> datetime:
        return next_at(self.at, self.zone, moment)


def parse_schedule(text: str) -> Schedule:
    """Read `every DURATION` (the one grammar: `every 30m`, `every 1h30m`, `every 90`) or
    `daily 07:00 [Europe/Berlin]`."""
    spec = text.strip()
    if every := _EVERY.fullmatch(spec):
        try:
            return Every(timedelta(seconds=parse_duration(every[1])))
        except DurationError as e:
            raise ValueError(f"{text!r}: {e}") from None
    if daily := _DAILY.fullmatch(spec):
        hour, minute, zone = int(daily[1]), int(daily[2]), daily[3]
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: {hour}:{minute:02} is not a time of day")
        return DailyAt(time(hour, minute), _zone(zone, text) if zone else UTC)
    raise ValueError(f"{text!r} is not a schedule (use `every 30m` or `daily 07:00 Europe/Paris`)")


def _zone(name: str, text: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r}: unknown time zone {name!r}") from None


@dataclass(frozen=True, slots=True)
class Group:
    """Rows that go out as one message: a digest, or a single row sent alone."""

    rows: tuple[DeliveryRecord, ...]
    digest: bool


class FloodGate:
    """Per notifier: splits due rows into groups to send now and rows to hold."""

    def __init__(self, threshold: int, window: timedelta, schedule: Schedule | None = None) -> None:
        self.threshold = threshold
        self.window = window
        self.schedule = schedule
        self.until: datetime | None = None
        """End of the current quiet window, while a flood lasts."""
        self._flushed_at: datetime | None = None
        self._sent: deque[datetime] = deque()

    def split(
        self, rows: Sequence[DeliveryRecord], now: datetime
    ) -> tuple[list[Group], list[Hold]]:
        if not rows:
            return [], []
        if self.schedule is not None:
            return self._scheduled(rows, now, self.schedule)
        if self.until is not None and now < self.until:
            flushed = self._flushed_at or now
            late = [r for r in rows if r.created_at <= flushed]
            held = [(r, self.until) for r in rows if r.created_at > flushed]
            return _together(late), held
        if self.until is not None or self._recent(now) + len(rows) > self.threshold:
            flood_goes_on = self.until is None or len(rows) > self.threshold
            self._flushed_at = now
            self.until = now + self.window if flood_goes_on else None
            return _together(rows), []
        return [Group((r,), digest=False) for r in rows], []

    def note_sent(self, now: datetime) -> None:
        """Count one alert that went out alone."""
        self._sent.append(now)

    def _recent(self, now: datetime) -> int:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        return len(self._sent)

    @staticmethod
    def _scheduled(
        rows: Sequence[DeliveryRecord], now: datetime, schedule: Schedule
    ) -> tuple[list[Group], list[Hold]]:
        slots = [(r, schedule.next_after(r.created_at)) for r in rows]
        ready = tuple(r for r, slot in slots if slot <= now)
        held = [(r, slot) for r, slot in slots if slot > now]
        return ([Group(ready, digest=True)] if ready else []), held


def _together(rows: Sequence[DeliveryRecord]) -> list[Group]:
    if not rows:
        return []
    return [Group(tuple(rows), digest=len(rows) > 1)]
