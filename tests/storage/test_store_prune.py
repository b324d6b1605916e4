"""Contract: retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.storage.storecase import FEED_A, T0, alerting, batch, item, polled_once, quiet
from wirewatch.storage import Novelty, PruneOutcome, Store

DAY = timedelta(days=1)


async def deliver_all(store: Store) -> None:
    for row in await store.claim_deliveries(T0 + DAY, limit=100, lease_seconds=60, owner="w"):
        await store.mark_delivered(row.id, T0 + DAY)


async def test_prune_removes_old_items_stories_and_delivered_alerts(store: Store) -> None:
    """Items, stories and delivered alerts past the age go; recent ones stay."""
    await polled_once(store)
    await store.ingest(batch(alerting(item("old")), quiet(item("old-quiet"))))
    await deliver_all(store)
    await store.ingest(batch(alerting(item("new")), now=T0 + 20 * DAY))

    outcome = await store.prune(T0 + 40 * DAY, max_age=30 * DAY)

    assert PruneOutcome(items=2, stories=1, alerts=1, deliveries=1, seen=0) == outcome
    assert ["new"] == [r.alert.item.id for r in await store.recent_alerts(T0 - DAY)]
    assert ["new"] == [s.item.id for s in await store.stored_items(T0 - DAY)]
    assert 1 == len(await store.recent_stories(T0 - DAY))


async def test_prune_keeps_alerts_not_yet_delivered(store: Store) -> None:
    """An old alert with a delivery still pending is kept, with its story."""
    await polled_once(store)
    await store.ingest(batch(alerting(item("a1"))))
    outcome = await store.prune(T0 + 40 * DAY, max_age=30 * DAY)
    assert (0, 0, 1) == (outcome.alerts, outcome.stories, await store.outbox_depth())
    assert 1 == len(await store.recent_alerts(T0 - DAY))


async def test_old_item_reappearing_is_not_new(store: Store) -> None:
    """After its item is pruned, an id stays seen until the seen-set's own retention ends."""
    await polled_once(store)
    await store.ingest(batch(quiet(item("a1"))))
    await store.prune(T0 + 40 * DAY, max_age=30 * DAY, seen_max_age=180 * DAY)

    again = await store.ingest(batch(alerting(item("a1")), now=T0 + 41 * DAY))
    await store.prune(T0 + 400 * DAY, max_age=30 * DAY, seen_max_age=180 * DAY)

    assert 0 == again.new
    assert {"a1": Novelty.NEW} == await store.novelty(FEED_A, [item("a1")])


async def test_seen_ids_still_in_the_feed_are_kept(store: Store) -> None:
    """An id its feed keeps showing stays seen however old its first sighting."""
    await polled_once(store)
    await store.ingest(batch(quiet(item("evergreen"))))
    await store.ingest(batch(quiet(item("evergreen")), now=T0 + 170 * DAY))
    outcome = await store.prune(T0 + 200 * DAY, max_age=30 * DAY, seen_max_age=180 * DAY)
    assert 0 == outcome.seen
    assert {"evergreen": Novelty.SEEN} == await store.novelty(FEED_A, [item("evergreen")])


async def test_seen_retention_must_outlast_items(store: Store) -> None:
    """Keeping seen ids for less time than items is refused."""
    with pytest.raises(ValueError, match="seen"):
        await store.prune(T0, max_age=30 * DAY, seen_max_age=10 * DAY)
