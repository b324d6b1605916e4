"""Feed state rows and feed poll leases in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wirewatch.storage._codec import seconds_or_none
from wirewatch.storage._pg_db import NATIVE_TIMES, Conn, at, utc
from wirewatch.storage._rows import (
    FEED_COLUMNS,
    FEED_POLLER,
    RECENT_ITEMS,
    feed_row,
    feed_state,
)
from wirewatch.storage.base import FeedState
from wirewatch.storage.silence import median_gap


def _row(state: FeedState) -> tuple[Any, ...]:
    return feed_row(state, NATIVE_TIMES)


def _state(row: tuple[Any, ...]) -> FeedState:
    return feed_state(row, NATIVE_TIMES)


def _upsert(columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    return f"INSERT INTO feeds ({names}) VALUES ({marks}) ON CONFLICT (key) DO UPDATE SET {updates}"


async def get(conn: Conn, key: str) -> FeedState | None:
    cur = await conn.execute(f"SELECT {', '.join(FEED_COLUMNS)} FROM feeds WHERE key = %s", (key,))
    row = await cur.fetchone()
    return None if row is None else _state(row)


async def list_all(conn: Conn) -> list[FeedState]:
    cur = await conn.execute(f"SELECT {', '.join(FEED_COLUMNS)} FROM feeds ORDER BY key")
    return [_state(row) for row in await cur.fetchall()]


async def save(conn: Conn, state: FeedState) -> None:
    """Write every field of `state`."""
    await conn.execute(_upsert(FEED_COLUMNS), _row(state))


async def save_polled(conn: Conn, feed: str, state: FeedState | None) -> None:
    """Write the poller's fields of `state` (or just make sure the feed has a row)."""
    if state is None:
        await conn.execute(
            "INSERT INTO feeds (key) VALUES (%s) ON CONFLICT (key) DO NOTHING", (feed,)
        )
        return
    if state.key != feed:
        raise ValueError(f"feed state for {state.key!r} given with a batch of {feed!r}")
    await conn.execute(_upsert(("key", *FEED_POLLER)), _row(state)[: 1 + len(FEED_POLLER)])


async def is_first_poll(conn: Conn, feed: str) -> bool:
    cur = await conn.execute("SELECT first_polled FROM feeds WHERE key = %s", (feed,))
    row = await cur.fetchone()
    return row is None or row[0] is None


async def record_poll(conn: Conn, feed: str, now: datetime, new_items: int) -> None:
    """Keep the store's own fields: first poll, last new item, publishing interval."""
    await conn.execute(
        "UPDATE feeds SET first_polled = COALESCE(first_polled, %s) WHERE key = %s", (now, feed)
    )
    if not new_items:
        return
    cur = await conn.execute(
        "SELECT COALESCE(published, first_seen) AS at FROM items WHERE feed = %s"
        " ORDER BY at DESC LIMIT %s",
        (feed, RECENT_ITEMS),
    )
    gap = median_gap(utc(row[0]) for row in await cur.fetchall())
    await conn.execute(
        "UPDATE feeds SET last_new_item = %s,"
        " publish_interval_s = COALESCE(%s, publish_interval_s) WHERE key = %s",
        (now, seconds_or_none(gap), feed),
    )


async def claim(conn: Conn, key: str, now: datetime, until: datetime, owner: str) -> bool:
    """Take or renew the poll lease of `key` unless another owner holds it past `now`.

    One upsert: the row lock it takes makes racing claimers wait and then see the winner.
    """
    cur = await conn.execute(
        "INSERT INTO feed_leases AS l (key, owner, lease_until) VALUES (%s, %s, %s)"
        " ON CONFLICT (key) DO UPDATE SET owner = excluded.owner,"
        " lease_until = excluded.lease_until"
        " WHERE l.owner = excluded.owner OR l.lease_until <= %s RETURNING 1",
        (key, owner, at(until), at(now)),
    )
    return await cur.fetchone() is not None


async def owners(conn: Conn) -> dict[str, tuple[str, datetime]]:
    cur = await conn.execute("SELECT key, owner, lease_until FROM feed_leases ORDER BY key")
    return {key: (owner, utc(until)) for key, owner, until in await cur.fetchall()}
