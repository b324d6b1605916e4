"""Contract: feed poll leases and the story lock, what several instances coordinate with."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.storage.conftest import MakeStore
from tests.storage.storecase import FEED_A, FEED_B, T0
from wirewatch.storage import FeedState, Store

LEASE = timedelta(minutes=2)


async def test_a_free_feed_is_claimed(store: Store) -> None:
    """A feed nobody holds is taken, and its owner and lease end are listed."""
    assert await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    assert {FEED_A: ("i1", T0 + LEASE)} == await store.feed_owners()


async def test_a_held_feed_is_refused_to_another_owner(store: Store) -> None:
    """While a lease holds, another owner's claim fails and changes nothing."""
    await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    later = T0 + LEASE - timedelta(seconds=1)
    assert not await store.claim_feed(FEED_A, now=later, until=later + LEASE, owner="i2")
    assert {FEED_A: ("i1", T0 + LEASE)} == await store.feed_owners()


async def test_the_owner_renews_its_lease(store: Store) -> None:
    """The holder claims again before expiry and its lease moves on."""
    await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    later = T0 + timedelta(minutes=1)
    assert await store.claim_feed(FEED_A, now=later, until=later + LEASE, owner="i1")
    assert {FEED_A: ("i1", later + LEASE)} == await store.feed_owners()


async def test_an_expired_lease_passes_to_another_owner(store: Store) -> None:
    """Once a lease ends (its owner died), the next claimer takes the feed over."""
    await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    expiry = T0 + LEASE
    assert await store.claim_feed(FEED_A, now=expiry, until=expiry + LEASE, owner="i2")
    assert not await store.claim_feed(FEED_A, now=expiry, until=expiry + LEASE, owner="i1")
    assert {FEED_A: ("i2", expiry + LEASE)} == await store.feed_owners()


async def test_leases_are_per_feed(store: Store) -> None:
    """Holding one feed says nothing about another."""
    await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    assert await store.claim_feed(FEED_B, now=T0, until=T0 + LEASE, owner="i2")
    assert {FEED_A: ("i1", T0 + LEASE), FEED_B: ("i2", T0 + LEASE)} == await store.feed_owners()


async def test_racing_owners_one_wins(make_store: MakeStore) -> None:
    """Owners on separate stores claiming one free feed at once: exactly one gets it."""
    stores = [await make_store() for _ in range(4)]
    won = await asyncio.gather(
        *(
            s.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner=f"i{n}")
            for n, s in enumerate(stores)
        )
    )
    [winner] = [f"i{n}" for n, ok in enumerate(won) if ok]
    assert {FEED_A: (winner, T0 + LEASE)} == await stores[0].feed_owners()


async def test_leases_leave_feed_state_alone(store: Store) -> None:
    """Claiming a feed neither creates nor changes its state."""
    await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    assert None is await store.get_feed_state(FEED_A)
    state = FeedState(key=FEED_A, etag='"v1"')
    await store.save_feed_state(state)
    await store.claim_feed(FEED_A, now=T0, until=T0 + LEASE, owner="i1")
    assert state == await store.get_feed_state(FEED_A)


async def test_naive_lease_times_are_refused(store: Store) -> None:
    """A lease time without a time zone is a programming error."""
    with pytest.raises(ValueError, match="naive"):
        await store.claim_feed(FEED_A, now=T0.replace(tzinfo=None), until=T0, owner="i1")


async def test_story_lock_excludes_a_second_holder(store: Store) -> None:
    """A second task waits for the story lock until the first releases it."""
    events: list[str] = []
    first_in = asyncio.Event()

    async def first() -> None:
        async with store.story_lock():
            events.append("first in")
            first_in.set()
            await asyncio.sleep(0.05)
            events.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with store.story_lock():
            events.append("second in")

    await asyncio.gather(first(), second())
    assert ["first in", "first out", "second in"] == events


async def test_story_lock_is_released_when_the_block_raises(store: Store) -> None:
    """An exception inside the block releases the lock and propagates."""
    with pytest.raises(KeyError):
        async with store.story_lock():
            raise KeyError("boom")
    async with asyncio.timeout(5), store.story_lock():
        pass


async def test_store_calls_work_inside_the_story_lock(store: Store) -> None:
    """Reading stories and ingesting while holding the lock do not wait on the lock."""
    async with asyncio.timeout(10), store.story_lock():
        assert [] == await store.recent_stories(T0)
        await store.save_feed_state(FeedState(key=FEED_A))
