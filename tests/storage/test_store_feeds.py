"""Contract: feed state."""

from __future__ import annotations

from datetime import timedelta

from tests.storage.storecase import FEED_A, FEED_B, HOUR, T0, batch, item, quiet
from wirewatch.storage import FeedState, FeedStatus, IngestBatch, Store


def full_state(key: str = FEED_A) -> FeedState:
    return FeedState(
        key=key,
        status=FeedStatus.FAILING,
        etag='"abc"',
        last_modified="Sun, 01 Dec 2024 12:00:00 GMT",
        http_status=503,
        consecutive_failures=3,
        last_error="HTTP 503",
        last_success=T0 - HOUR,
        next_due=T0 + HOUR,
        first_polled=T0 - 10 * HOUR,
        last_new_item=T0 - 2 * HOUR,
        publish_interval=timedelta(minutes=90),
    )


async def test_unknown_feed_has_no_state(store: Store) -> None:
    """A feed never saved has no state."""
    assert None is await store.get_feed_state(FEED_A)


async def test_save_and_get_round_trip(store: Store) -> None:
    """Every field of a saved state comes back as saved."""
    state = full_state()
    await store.save_feed_state(state)
    assert state == await store.get_feed_state(FEED_A)


async def test_save_replaces(store: Store) -> None:
    """Saving again replaces the state."""
    await store.save_feed_state(full_state())
    recovered = FeedState(key=FEED_A, status=FeedStatus.OK, last_success=T0)
    await store.save_feed_state(recovered)
    assert recovered == await store.get_feed_state(FEED_A)


async def test_list_feed_states_by_key(store: Store) -> None:
    """All states are listed, ordered by key."""
    await store.save_feed_state(FeedState(key=FEED_B))
    await store.save_feed_state(FeedState(key=FEED_A))
    assert [FEED_A, FEED_B] == [s.key for s in await store.list_feed_states()]


async def test_ingest_saves_the_pollers_fields(store: Store) -> None:
    """The state given with a batch is saved with it (the ETag only with its items)."""
    state = FeedState(key=FEED_A, etag='"v2"', http_status=200, last_success=T0, next_due=T0)
    await store.ingest(IngestBatch(feed=FEED_A, now=T0, feed_state=state))
    saved = await store.get_feed_state(FEED_A)
    assert saved is not None
    assert ('"v2"', 200, T0) == (saved.etag, saved.http_status, saved.next_due)


async def test_ingest_keeps_the_stores_own_fields(store: Store) -> None:
    """First poll, last new item and publishing interval come from ingest, not the batch."""
    stale = FeedState(key=FEED_A, last_new_item=T0 - 100 * HOUR, first_polled=None)
    published = [T0 - 6 * HOUR, T0 - 4 * HOUR, T0 - 3 * HOUR, T0 - HOUR]
    items = [quiet(item(f"a{n}", published=p)) for n, p in enumerate(published)]
    await store.ingest(IngestBatch(feed=FEED_A, now=T0, items=tuple(items), feed_state=stale))

    saved = await store.get_feed_state(FEED_A)

    assert saved is not None
    assert (T0, T0, timedelta(hours=2)) == (
        saved.first_polled,
        saved.last_new_item,
        saved.publish_interval,
    )


async def test_last_new_item_moves_only_with_new_items(store: Store) -> None:
    """A poll with nothing new leaves the last new item where it was."""
    await store.ingest(batch(quiet(item("a1")), now=T0))
    await store.ingest(batch(quiet(item("a1")), now=T0 + HOUR))
    saved = await store.get_feed_state(FEED_A)
    assert saved is not None
    assert (T0, T0) == (saved.first_polled, saved.last_new_item)
