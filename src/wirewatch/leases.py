"""Feed poll leases: one instance polls a feed per interval, and a dead one's feeds pass on.

A poll takes its feed's lease for `LEASE_SHARE` of the feed's interval; `poll --once` takes a
whole cycle's leases at its start (`claim_all`, at least `CYCLE_LEASE`, so that the last feed
of a long cycle is still its own when reached), reads every state in one store call, and gives
the leases back at its end (`release`), as the daemon does when it stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from wirewatch.config.settings import Config, FeedConfig
from wirewatch.storage import FeedState, Store

LEASE_SHARE = 0.9
"""A poll's lease lasts this share of the feed's interval."""
CYCLE_LEASE = timedelta(minutes=15)
"""The least a lease of `claim_all` lasts."""
RELEASE_AT_ONCE = 200
"""Leases given back together (SQLite commits writes that wait together in one transaction;
a PostgreSQL pool serves them a few at a time)."""


class Lease(NamedTuple):
    """What `claim_all` found: the feed's state, or None when another instance holds it."""

    state: FeedState | None


async def claim(
    store: Store,
    config: Config,
    feed: FeedConfig,
    owner: str,
    now: datetime,
    least: timedelta = timedelta(0),
) -> bool:
    """Take or renew `feed`'s lease for `owner`; False while another owner holds it."""
    until = now + max(timedelta(seconds=config.feed_interval(feed) * LEASE_SHARE), least)
    return await store.claim_feed(feed.key, now=now, until=until, owner=owner)


async def claim_all(
    store: Store, config: Config, feeds: Iterable[FeedConfig], owner: str, now: datetime
) -> dict[str, Lease]:
    """Take the leases of `feeds` together, then read the states in one go (one store read
    per cycle instead of one per feed)."""
    feeds = list(feeds)
    won = await asyncio.gather(*(claim(store, config, f, owner, now, CYCLE_LEASE) for f in feeds))
    states = {s.key: s for s in await store.list_feed_states()}
    return {
        f.key: Lease(states.get(f.key) or FeedState(key=f.key) if ok else None)
        for f, ok in zip(feeds, won, strict=True)
    }


async def release(store: Store, keys: Iterable[str], owner: str, now: datetime) -> None:
    """Give back `owner`'s leases of these feeds now, so that another instance need not wait
    for them to expire; another owner's stay."""
    owners = await store.feed_owners()
    mine = [key for key in keys if owners.get(key, ("", now))[0] == owner]
    for at in range(0, len(mine), RELEASE_AT_ONCE):  # together: the store groups them
        await asyncio.gather(
            *(
                store.claim_feed(k, now=now, until=now, owner=owner)
                for k in mine[at : at + RELEASE_AT_ONCE]
            )
        )
