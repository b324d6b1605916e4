"""Contract: what ingest calls new, seen or updated, and what it alerts."""

from __future__ import annotations

import dataclasses

import pytest

from tests.storage.storecase import (
    FEED_A,
    FEED_B,
    HOUR,
    T0,
    alerting,
    batch,
    item,
    polled_once,
    quiet,
    verdict,
)
from wirewatch.storage import DeliveryState, Novelty, Store
from wirewatch.storage.codec import alert_id
from wirewatch.stories.member import new_story_id


async def test_first_poll_records_items_without_alerts(store: Store) -> None:
    """A feed's first poll (no backfill) records its items as seen and alerts on none."""
    outcome = await store.ingest(batch(alerting(item("a1")), alerting(item("a2"))))

    assert (True, 2, 2, 0) == (
        outcome.first_poll,
        outcome.new,
        outcome.matched,
        len(outcome.alerts),
    )
    assert 0 == await store.outbox_depth()
    assert {"a1": Novelty.SEEN} == await store.novelty(FEED_A, [item("a1")])


async def test_first_poll_with_backfill_alerts(store: Store) -> None:
    """With backfill, a first poll alerts like any other."""
    outcome = await store.ingest(batch(alerting(item("a1")), backfill=True))
    assert (True, 1) == (outcome.first_poll, outcome.alerts_created)


async def test_new_alerting_item_creates_story_alert_and_deliveries(store: Store) -> None:
    """A new alerting item writes a story, an alert and one outbox row per destination."""
    await polled_once(store)
    feed_item = item("a1")
    matched = verdict(destinations=("hook", "slack"), entities=("homs", "hts"))

    outcome = await store.ingest(batch(alerting(feed_item, matched), quiet(item("a2"))))

    story = new_story_id(FEED_A, "a1")
    expected_id = alert_id(story, "syria")
    alert = outcome.alerts[0]
    assert (2, 2, 1, 1, 2) == (
        outcome.items,
        outcome.new,
        outcome.matched,
        outcome.alerts_created,
        outcome.deliveries,
    )
    assert (expected_id, story, "alert.created", T0) == (
        alert.id,
        alert.story_id,
        alert.event,
        alert.created_at,
    )
    assert feed_item == alert.item
    assert [(FEED_A, "a1")] == [(s.feed, s.item_id) for s in alert.sources]
    assert (story,) == outcome.new_stories
    rows = await store.list_deliveries(DeliveryState.PENDING)
    assert [f"msg_{expected_id}_hook", f"msg_{expected_id}_slack"] == sorted(r.id for r in rows)
    assert [alert, alert] == [r.alert for r in rows]


async def test_item_seen_by_id_is_not_new(store: Store) -> None:
    """An item its feed already had is not new again, so it alerts once."""
    await polled_once(store)
    await store.ingest(batch(alerting(item("a1"))))
    outcome = await store.ingest(batch(alerting(item("a1")), now=T0 + HOUR))
    assert (0, 0, 0) == (outcome.new, outcome.updated, outcome.alerts_created)
    assert 1 == await store.outbox_depth()


async def test_item_seen_by_url_in_another_feed_is_not_new(store: Store) -> None:
    """An item whose canonical URL any feed had is not new, whatever its id."""
    await polled_once(store)
    shared = "https://news.example/2024/12/homs"
    await store.ingest(batch(alerting(item("a1", url=shared))))

    elsewhere = item("b-77", feed=FEED_B, url=shared)
    outcome = await store.ingest(batch(alerting(elsewhere), feed=FEED_B))

    assert (0, 0) == (outcome.new, outcome.alerts_created)
    assert {"b-77": Novelty.SEEN} == await store.novelty(FEED_B, [elsewhere])


async def test_same_url_twice_in_one_batch_is_new_once(store: Store) -> None:
    """Two ids with one canonical URL in one poll make one new item."""
    await polled_once(store)
    url = "https://a.example/story"
    outcome = await store.ingest(
        batch(alerting(item("a1", url=url)), alerting(item("a2", url=url)))
    )
    assert (1, 1) == (outcome.new, outcome.alerts_created)


async def test_items_without_url_are_told_apart_by_id(store: Store) -> None:
    """An empty canonical URL never makes two items the same."""
    await polled_once(store)
    outcome = await store.ingest(batch(quiet(item("a1", url="")), quiet(item("a2", url=""))))
    assert 2 == outcome.new


async def test_edited_item_is_an_update_without_delivery(store: Store) -> None:
    """Same id with a new title is an update; by default it queues nothing."""
    await polled_once(store)
    original = item("a1")
    await store.ingest(batch(alerting(original)))
    edited = dataclasses.replace(original, title="Rebels take Homs, army says")

    preview = await store.novelty(FEED_A, [edited])
    outcome = await store.ingest(batch(alerting(edited), now=T0 + HOUR))

    assert {"a1": Novelty.UPDATED} == preview
    assert (0, 1, 0, 0) == (
        outcome.new,
        outcome.updated,
        outcome.alerts_created,
        outcome.deliveries,
    )
    assert [edited.title] == [s.item.title for s in await store.stored_items(T0 - HOUR)]


async def test_edited_item_notifies_when_asked(store: Store) -> None:
    """With notify_updates, an edit of an alerted item queues alert.updated per destination."""
    await polled_once(store)
    original = item("a1")
    first = await store.ingest(batch(alerting(original)))
    edited = dataclasses.replace(original, summary="Fighters took the city centre.")

    outcome = await store.ingest(batch(alerting(edited), now=T0 + HOUR, notify_updates=True))

    updates = [r for r in await store.list_deliveries() if r.event == "alert.updated"]
    assert (1, 1) == (outcome.updated, outcome.deliveries)
    assert [first.alerts[0].id] == [r.alert_id for r in updates]
    assert updates[0].id.startswith(f"msg_{first.alerts[0].id}_hook_")
    assert edited == updates[0].alert.item


async def test_unchanged_item_is_not_an_update(store: Store) -> None:
    """Seeing the same item again, unchanged, is neither new nor an update."""
    await polled_once(store)
    await store.ingest(batch(quiet(item("a1"))))
    outcome = await store.ingest(batch(quiet(item("a1")), notify_updates=True))
    assert (0, 0) == (outcome.new, outcome.updated)


async def test_joining_a_story_adds_a_source_without_alert(store: Store) -> None:
    """A report of a story already alerted joins it: one more source, no new alert."""
    await polled_once(store)
    first = await store.ingest(batch(alerting(item("a1"))))
    story = first.alerts[0].story_id

    other = item("b1", feed=FEED_B, title="Homs falls to rebels")
    outcome = await store.ingest(batch(alerting(other, story=story), feed=FEED_B, now=T0 + HOUR))

    assert (1, 0, 1, 0) == (
        outcome.new,
        outcome.alerts_created,
        outcome.stories_joined,
        outcome.deliveries,
    )
    [record] = await store.recent_alerts(T0 - HOUR)
    assert [("a1", T0), ("b1", T0 + HOUR)] == [(s.item_id, s.seen_at) for s in record.alert.sources]
    assert "Homs falls to rebels" == record.alert.sources[1].title


async def test_joining_a_story_notifies_when_asked(store: Store) -> None:
    """With notify_story_updates, a joining source queues alert.updated with every source."""
    await polled_once(store)
    first = await store.ingest(batch(alerting(item("a1"))))
    story = first.alerts[0].story_id

    joining = alerting(item("b1", feed=FEED_B), story=story)
    await store.ingest(batch(joining, feed=FEED_B, now=T0 + HOUR, notify_story_updates=True))

    updates = [r for r in await store.list_deliveries() if r.event == "alert.updated"]
    assert [first.alerts[0].id] == [r.alert_id for r in updates]
    assert ["a1", "b1"] == [s.item_id for s in updates[0].alert.sources]


async def test_items_of_one_batch_can_share_a_story(store: Store) -> None:
    """Two new reports of one story in one poll make one alert with two sources."""
    await polled_once(store)
    story = new_story_id(FEED_A, "a1")
    outcome = await store.ingest(
        batch(alerting(item("a1"), story=story), alerting(item("a2"), story=story))
    )
    assert (1, 1) == (outcome.alerts_created, outcome.stories_joined)
    [record] = await store.recent_alerts(T0 - HOUR)
    assert ["a1", "a2"] == [s.item_id for s in record.alert.sources]


async def test_one_alert_per_story_and_watchlist(store: Store) -> None:
    """A story alerted for one watchlist still alerts once for another."""
    await polled_once(store)
    first = await store.ingest(batch(alerting(item("a1"), verdict(watchlist="syria"))))
    story = first.alerts[0].story_id

    both = alerting(
        item("b1", feed=FEED_B), verdict(watchlist="syria"), verdict(watchlist="gulf"), story=story
    )
    outcome = await store.ingest(batch(both, feed=FEED_B))

    assert ["gulf"] == [a.watchlist for a in outcome.alerts]
    assert ["a1", "b1"] == [s.item_id for s in outcome.alerts[0].sources]


async def test_non_alerting_verdicts_do_not_alert(store: Store) -> None:
    """Matches that do not alert are recorded as an item, not as an alert."""
    await polled_once(store)
    outcome = await store.ingest(batch(quiet(item("a1"))))
    assert (1, 0, 0) == (outcome.new, outcome.matched, outcome.alerts_created)


async def test_alerting_item_needs_a_story_decision(store: Store) -> None:
    """An alerting item without a story decision is refused, and nothing is written."""
    await polled_once(store)
    undecided = dataclasses.replace(alerting(item("a1")), story=None)
    with pytest.raises(ValueError, match="story"):
        await store.ingest(batch(undecided))
    assert {"a1": Novelty.NEW} == await store.novelty(FEED_A, [item("a1")])
