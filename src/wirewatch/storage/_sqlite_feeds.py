"""Feed state rows in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from wirewatch.storage._codec import (
    dt,
    seconds_or_none,
    ts,
)
from wirewatch.storage._rows import (
    FEED_COLUMNS,
    FEED_POLLER,
    RECENT_ITEMS,
    feed_row,
    feed_state,
)
from wirewatch.storage._sqlite_db import TEXT_TIMES
from wirewatch.storage.base import FeedState
from wirewatch.storage.silence import median_gap


def _row(state: FeedState) -> tuple[Any, ...]:
    return feed_row(state, TEXT_TIMES)


def _state(row: sqlite3.Row | tuple[Any, ...]) -> FeedState:
    return feed_state(row, TEXT_TIMES)


def _upsert(columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    return f"INSERT INTO feeds ({names}) VALUES ({marks}) ON CONFLICT (key) DO UPDATE SET {updates}"


def get(conn: sqlite3.Connection, key: str) -> FeedState | None:
    row = conn.execute(
        f"SELECT {', '.join(FEED_COLUMNS)} FROM feeds WHERE key = ?", (key,)
    ).fetchone()
    return None if row is None else _state(row)


def list_all(conn: sqlite3.Connection) -> list[FeedState]:
    rows = conn.execute(f"SELECT {', '.join(FEED_COLUMNS)} FROM feeds ORDER BY key").fetchall()
    return [_state(row) for row in rows]


def save(conn: sqlite3.Connection, state: FeedState) -> None:
    """Write every field of `state`."""
    conn.execute(_upsert(FEED_COLUMNS), _row(state))


def save_polled(conn: sqlite3.Connection, feed: str, state: FeedState | None) -> None:
    """Write the poller's fields of `state` (or just make sure the feed has a row)."""
    if state is None:
        conn.execute("INSERT INTO feeds (key) VALUES (?) ON CONFLICT (key) DO NOTHING", (feed,))
        return
    if state.key != feed:
        raise ValueError(f"feed state for {state.key!r} given with a batch of {feed!r}")
    conn.execute(_upsert(("key", *FEED_POLLER)), _row(state)[: 1 + len(FEED_POLLER)])


def is_first_poll(conn: sqlite3.Connection, feed: str) -> bool:
    row = conn.execute("SELECT first_polled FROM feeds WHERE key = ?", (feed,)).fetchone()
    return row is None or row[0] is None


def record_poll(conn: sqlite3.Connection, feed: str, now: datetime, new_items: int) -> None:
    """Keep the store's own fields: first poll, last new item, publishing interval."""
    conn.execute(
        "UPDATE feeds SET first_polled = COALESCE(first_polled, ?) WHERE key = ?", (ts(now), feed)
    )
    if not new_items:
        return
    rows = conn.execute(
        "SELECT COALESCE(published, first_seen) AS at FROM items WHERE feed = ?"
        " ORDER BY at DESC LIMIT ?",
        (feed, RECENT_ITEMS),
    ).fetchall()
    gap = median_gap(dt(row[0]) for row in rows)
    conn.execute(
        "UPDATE feeds SET last_new_item = ?,"
        " publish_interval_s = COALESCE(?, publish_interval_s) WHERE key = ?",
        (ts(now), seconds_or_none(gap), feed),
    )


def claim(conn: sqlite3.Connection, key: str, now: datetime, until: datetime, owner: str) -> bool:
    """Take or renew the poll lease of `key` unless another owner holds it past `now`."""
    row = conn.execute(
        "INSERT INTO feed_leases AS l (key, owner, lease_until) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET owner = excluded.owner,"
        " lease_until = excluded.lease_until"
        " WHERE l.owner = excluded.owner OR l.lease_until <= ? RETURNING 1",
        (key, owner, ts(until), ts(now)),
    ).fetchone()
    return row is not None


def owners(conn: sqlite3.Connection) -> dict[str, tuple[str, datetime]]:
    rows = conn.execute("SELECT key, owner, lease_until FROM feed_leases ORDER BY key")
    return {key: (owner, dt(until)) for key, owner, until in rows}
