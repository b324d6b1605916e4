"""Quiet hours per notifier (intervals.py): table tests in two time zones, and the dispatcher
holding deliveries through them and sending what was held as one digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.test_dispatch import HOOK, dispatcher, queue, rows
from wirewatch.delivery.digest import digest_id
from wirewatch.delivery.dispatch import DeliveryPolicy
from wirewatch.delivery.intervals import QuietHours, parse_quiet
from wirewatch.storage import Store
from wirewatch.testing import FixedClock, RecordingNotifier

LONDON = parse_quiet("22:00-07:00 Europe/London")
TOKYO = parse_quiet("22:00-07:00 Asia/Tokyo")  # UTC+9, no daylight saving


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("quiet", "at", "quiet_now", "ends"),
    [
        # London in winter is UTC: 22:00-07:00 UTC
        (LONDON, "2024-12-07T21:59", False, "2024-12-08T07:00"),
        (LONDON, "2024-12-07T22:00", True, "2024-12-08T07:00"),
        (LONDON, "2024-12-08T06:59", True, "2024-12-08T07:00"),
        (LONDON, "2024-12-08T07:00", False, "2024-12-09T07:00"),
        # London in summer is UTC+1: 21:00-06:00 UTC
        (LONDON, "2024-07-01T21:30", True, "2024-07-02T06:00"),
        (LONDON, "2024-07-02T06:30", False, "2024-07-03T06:00"),
        # Tokyo: 22:00-07:00 local is 13:00-22:00 UTC
        (TOKYO, "2024-12-07T12:59", False, "2024-12-07T22:00"),
        (TOKYO, "2024-12-07T13:00", True, "2024-12-07T22:00"),
        (TOKYO, "2024-12-07T21:59", True, "2024-12-07T22:00"),
        (TOKYO, "2024-12-07T22:00", False, "2024-12-08T22:00"),
    ],
)
def test_quiet_hours_follow_the_zones_clock(
    quiet: QuietHours, at: str, quiet_now: bool, ends: str
) -> None:
    assert (quiet_now, utc(ends)) == (quiet.contains(utc(at)), quiet.ends_after(utc(at)))


def test_daytime_hours_do_not_wrap() -> None:
    lunch = parse_quiet("12:00-13:30")
    assert [False, True, False] == [
        lunch.contains(utc(t)) for t in ("2024-12-07T11:59", "2024-12-07T13:29", "2024-12-07T13:30")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("22-07", "is not HH:MM-HH:MM [Zone]"),
        ("25:00-07:00", "is not a time of day"),
        ("22:00-07:00 Europe/Londn", "unknown time zone 'Europe/Londn'"),
        ("07:00-07:00", "starts and ends at the same time"),
    ],
)
def test_bad_quiet_hours_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_quiet(text)
    assert message in str(caught.value)


async def test_deliveries_wait_out_quiet_hours_then_go_as_one_digest(store: Store) -> None:
    night = utc("2024-12-07T23:30")
    clock = FixedClock(night)
    ids = await queue(store, 3, at=night)
    notifier = RecordingNotifier(HOOK)
    policy = DeliveryPolicy(digest_threshold=1000, quiet=LONDON)
    worker = dispatcher(store, clock, notifier, policy)
    await worker.run_once()
    held = await rows(store)
    assert ([], {utc("2024-12-08T07:00")}) == (notifier.sent, {r.due_at for r in held})
    assert all("quiet hours (22:00-07:00 Europe/London)" in (r.last_error or "") for r in held)

    clock.now = utc("2024-12-08T07:00")
    await worker.run_once()
    assert [("alert.digest", digest_id(ids))] == [(m.event, m.delivery_id) for m in notifier.sent]

    later = await queue(store, 1, at=clock.now + timedelta(hours=1), first=10)
    clock.now += timedelta(hours=1)
    await worker.run_once()
    assert later == [m.delivery_id for m in notifier.sent[1:]]  # daytime: alone, at once
