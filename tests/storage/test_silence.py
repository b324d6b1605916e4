"""Silent feeds: a last new item much older than the feed's usual rhythm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wirewatch.storage import FeedState, is_silent, median_gap

NOW = datetime(2024, 12, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_median_gap_of_unordered_times() -> None:
    """The median gap ignores the order the times come in."""
    times = [NOW, NOW - 3 * HOUR, NOW - HOUR, NOW - 10 * HOUR]
    assert 2 * HOUR == median_gap(times)


def test_median_gap_needs_two_times() -> None:
    """One time has no gap."""
    assert None is median_gap([NOW])


def test_a_busy_feed_is_silent_after_a_day() -> None:
    """A feed that publishes hourly is silent after 24 hours (the floor), not after 4."""
    state = FeedState(key="f", last_new_item=NOW - 25 * HOUR, publish_interval=HOUR)
    quiet = FeedState(key="f", last_new_item=NOW - 23 * HOUR, publish_interval=HOUR)
    assert (True, False) == (is_silent(state, NOW), is_silent(quiet, NOW))


def test_a_slow_feed_gets_four_times_its_gap() -> None:
    """A feed that publishes every two days is silent after eight."""
    gap = timedelta(days=2)
    slow = FeedState(key="f", last_new_item=NOW - timedelta(days=7), publish_interval=gap)
    late = FeedState(key="f", last_new_item=NOW - timedelta(days=9), publish_interval=gap)
    assert (False, True) == (is_silent(slow, NOW), is_silent(late, NOW))


def test_never_polled_feed_is_not_silent() -> None:
    """Without a first poll there is nothing to be silent about."""
    assert False is is_silent(FeedState(key="f"), NOW)


def test_feed_that_never_published_is_silent_from_its_first_poll() -> None:
    """A feed with no new item since its first poll is measured from that poll."""
    state = FeedState(key="f", first_polled=NOW - 30 * HOUR)
    assert True is is_silent(state, NOW)
