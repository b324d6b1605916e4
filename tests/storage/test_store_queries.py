"""Contract: recent alerts, stored items, recent stories, the novelty preview."""

from __future__ import annotations

from datetime import timedelta

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
from wirewatch.model import FeedItem
from wirewatch.storage import DeliveryState, Novelty, Store


async def three_alerts(store: Store) -> None:
    """syria/homs at T0, syria/hama at T0+1h, gulf/homs at T0+2h."""
    await polled_once(store)
    await store.ingest(batch(alerting(item("a1"), verdict(entities=("homs",)))))
    hama = verdict(entities=("hama", "hts"))
    await store.ingest(batch(alerting(item("a2"), hama), now=T0 + HOUR))
    gulf = verdict(watchlist="gulf", entities=("homs",), destinations=("mail",))
    await store.ingest(
        batch(alerting(item("b1", feed=FEED_B), gulf), feed=FEED_B, now=T0 + 2 * HOUR)
    )


async def test_recent_alerts_newest_first_since(store: Store) -> None:
    """Alerts created since the given time come newest first."""
    await three_alerts(store)
    records = await store.recent_alerts(T0 + HOUR)
    assert ["b1", "a2"] == [r.alert.item.id for r in records]


async def test_recent_alerts_by_watchlist_and_entity(store: Store) -> None:
    """Alerts filter by watchlist and by entity."""
    await three_alerts(store)
    by_watchlist = await store.recent_alerts(T0, watchlist="syria")
    by_entity = await store.recent_alerts(T0, entity="homs")
    both = await store.recent_alerts(T0, watchlist="syria", entity="hts")
    assert ["a2", "a1"] == [r.alert.item.id for r in by_watchlist]
    assert ["b1", "a1"] == [r.alert.item.id for r in by_entity]
    assert [("a2", ("hama", "hts"))] == [(r.alert.item.id, r.entities) for r in both]


async def test_recent_alerts_pages(store: Store) -> None:
    """Limit and offset page through alerts."""
    await three_alerts(store)
    page = await store.recent_alerts(T0, limit=1, offset=1)
    assert ["a2"] == [r.alert.item.id for r in page]


async def test_recent_alerts_show_delivery_state(store: Store) -> None:
    """Each alert carries the state of its delivery per destination."""
    await three_alerts(store)
    [claimed] = await store.claim_deliveries(T0 + 3 * HOUR, limit=1, lease_seconds=60, owner="w")
    await store.mark_delivered(claimed.id, T0 + 3 * HOUR)
    records = {r.alert.id: r for r in await store.recent_alerts(T0)}
    delivered = records[claimed.alert_id].deliveries
    assert [("hook", DeliveryState.DELIVERED, T0 + 3 * HOUR)] == [
        (d.notifier, d.state, d.delivered_at) for d in delivered
    ]


async def test_alert_by_id_as_recent_alerts_has_it(store: Store) -> None:
    """One alert looked up by id equals its row in recent_alerts; an unknown id is None."""
    await three_alerts(store)
    listed = {r.alert.id: r for r in await store.recent_alerts(T0)}
    some_id = next(iter(listed))
    assert (listed[some_id], None) == (await store.alert(some_id), await store.alert("nope"))


async def test_item_counts_per_feed_and_utc_day(store: Store) -> None:
    """Items first seen since a time are counted per feed and UTC day."""
    day = T0.date()
    await store.ingest(batch(quiet(item("a1")), quiet(item("a2")), now=T0))
    await store.ingest(batch(quiet(item("a3")), now=T0 + 24 * HOUR))
    await store.ingest(batch(quiet(item("b1", feed=FEED_B)), feed=FEED_B, now=T0))
    await store.ingest(batch(quiet(item("a0")), now=T0 - 48 * HOUR))
    counts = await store.item_counts(T0 - HOUR)
    assert {
        FEED_A: {day: 2, day + timedelta(days=1): 1},
        FEED_B: {day: 1},
    } == counts


async def test_stored_items_with_their_feed(store: Store) -> None:
    """Stored items since a time come back whole, with their feed, for backtests."""
    await store.ingest(batch(quiet(item("a1")), now=T0))
    await store.ingest(batch(quiet(item("b1", feed=FEED_B)), feed=FEED_B, now=T0 + HOUR))
    stored = await store.stored_items(T0 + HOUR)
    assert [(item("b1", feed=FEED_B), T0 + HOUR)] == [(s.item, s.first_seen) for s in stored]


async def test_stored_items_keep_every_field(store: Store) -> None:
    """Authors, tags, language and content survive the round trip."""
    rich = FeedItem(
        id="a1",
        feed=FEED_A,
        title="Homs",
        summary="s",
        content="long text",
        url="https://a.example/1",
        published=None,
        authors=("A. Writer",),
        tags=("syria", "war"),
        language="en",
    )
    await store.ingest(batch(quiet(rich)))
    assert [rich] == [s.item for s in await store.stored_items(T0)]


async def test_recent_stories_for_warming(store: Store) -> None:
    """Stories since a time come with their signature and the watchlists that alerted."""
    await three_alerts(store)
    stories = await store.recent_stories(T0 + HOUR)
    assert [("sig a2", T0 + HOUR, ("syria",)), ("sig b1", T0 + 2 * HOUR, ("gulf",))] == [
        (s.signature, s.created_at, s.watchlists) for s in stories
    ]


async def test_novelty_preview_writes_nothing(store: Store) -> None:
    """The preview calls items new, seen or updated, and changes nothing."""
    await polled_once(store)
    await store.ingest(batch(quiet(item("a1")), quiet(item("a2"))))
    items = [item("a1"), item("a2", title="Edited"), item("a3")]
    expected = {"a1": Novelty.SEEN, "a2": Novelty.UPDATED, "a3": Novelty.NEW}
    assert expected == await store.novelty(FEED_A, items)
    assert expected == await store.novelty(FEED_A, items)
