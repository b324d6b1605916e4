"""Feed state rows and feed poll leases: the statements and steps of both dialects."""

from __future__ import annotations

from datetime import datetime

from wirewatch.storage._rows import (
    FEED_COLUMNS,
    FEED_POLLER,
    RECENT_ITEMS,
    feed_params,
    feed_state,
)
from wirewatch.storage.codec import Codec, seconds_or_none
from wirewatch.storage.records import FeedState
from wirewatch.storage.silence import median_gap
from wirewatch.storage.sql import Steps, count, one, rows, shared


def _upsert(columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    return (
        f"INSERT INTO feeds ({names}) VALUES ({values}) ON CONFLICT (key) DO UPDATE SET {updates}"
    )


_SELECT = f"SELECT {', '.join(FEED_COLUMNS)} FROM feeds"
GET = shared(f"{_SELECT} WHERE key = :key")
LIST = shared(f"{_SELECT} ORDER BY key")
SAVE = shared(_upsert(FEED_COLUMNS))
SAVE_POLLED = shared(_upsert(("key", *FEED_POLLER)))
ENSURE = shared("INSERT INTO feeds (key) VALUES (:key) ON CONFLICT (key) DO NOTHING")
FIRST_POLLED = shared("SELECT first_polled FROM feeds WHERE key = :key")
POLLED = shared("UPDATE feeds SET first_polled = COALESCE(first_polled, :now) WHERE key = :key")
RECENT = shared(
    "SELECT COALESCE(published, first_seen) AS at FROM items WHERE feed = :feed"
    " ORDER BY at DESC LIMIT :limit"
)
NEW_ITEM = shared(
    "UPDATE feeds SET last_new_item = :now,"
    " publish_interval_s = COALESCE(:gap, publish_interval_s) WHERE key = :key"
)
CLAIM = shared(
    "INSERT INTO feed_leases AS l (key, owner, lease_until) VALUES (:key, :owner, :until)"
    " ON CONFLICT (key) DO UPDATE SET owner = excluded.owner,"
    " lease_until = excluded.lease_until"
    " WHERE l.owner = excluded.owner OR l.lease_until <= :now RETURNING 1"
)
OWNERS = shared("SELECT key, owner, lease_until FROM feed_leases ORDER BY key")


def get(codec: Codec, key: str) -> Steps[FeedState | None]:
    row = yield from one(GET, key=key)
    return None if row is None else feed_state(row, codec)


def list_all(codec: Codec) -> Steps[list[FeedState]]:
    return [feed_state(row, codec) for row in (yield from rows(LIST))]


def save(codec: Codec, state: FeedState) -> Steps[None]:
    """Write every field of `state`."""
    yield from count(SAVE, **feed_params(state, codec))


def save_polled(codec: Codec, feed: str, state: FeedState | None) -> Steps[None]:
    """Write the poller's fields of `state` (or just make sure the feed has a row)."""
    if state is None:
        yield from count(ENSURE, key=feed)
        return
    if state.key != feed:
        raise ValueError(f"feed state for {state.key!r} given with a batch of {feed!r}")
    yield from count(SAVE_POLLED, **feed_params(state, codec))


def is_first_poll(feed: str) -> Steps[bool]:
    row = yield from one(FIRST_POLLED, key=feed)
    return row is None or row[0] is None


def record_poll(codec: Codec, feed: str, now: datetime, new_items: int) -> Steps[None]:
    """Keep the store's own fields: first poll, last new item, publishing interval."""
    yield from count(POLLED, now=codec.time(now), key=feed)
    if not new_items:
        return
    recent = yield from rows(RECENT, feed=feed, limit=RECENT_ITEMS)
    gap = median_gap(codec.required(row[0]) for row in recent)
    yield from count(NEW_ITEM, now=codec.time(now), gap=seconds_or_none(gap), key=feed)


def claim(codec: Codec, key: str, now: datetime, until: datetime, owner: str) -> Steps[bool]:
    """Take or renew the poll lease of `key` unless another owner holds it past `now`.

    One upsert: the row lock it takes makes racing claimers wait and then see the winner.
    """
    won = yield from one(CLAIM, key=key, owner=owner, until=codec.time(until), now=codec.time(now))
    return won is not None


def owners(codec: Codec) -> Steps[dict[str, tuple[str, datetime]]]:
    found = yield from rows(OWNERS)
    return {key: (owner, codec.required(until)) for key, owner, until in found}
