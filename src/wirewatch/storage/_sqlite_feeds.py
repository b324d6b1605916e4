"""Feed state rows in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from wirewatch.storage._codec import (
    delta_or_none,
    dt,
    dt_or_none,
    seconds_or_none,
    ts,
    ts_or_none,
)
from wirewatch.storage.base import FeedState, FeedStatus
from wirewatch.storage.silence import median_gap

_POLLER = (
    "status",
    "etag",
    "last_modified",
    "http_status",
    "consecutive_failures",
    "last_error",
    "last_success",
    "next_due",
)
_STORE = ("first_polled", "last_new_item", "publish_interval_s")
_COLUMNS = ("key", *_POLLER, *_STORE)
_RECENT_ITEMS = 21
"""How many recent items estimate a feed's publishing interval."""


def _row(state: FeedState) -> tuple[Any, ...]:
    return (
        state.key,
        state.status.value,
        state.etag,
        state.last_modified,
        state.http_status,
        state.consecutive_failures,
        state.last_error,
        ts_or_none(state.last_success),
        ts_or_none(state.next_due),
        ts_or_none(state.first_polled),
        ts_or_none(state.last_new_item),
        seconds_or_none(state.publish_interval),
    )


def _state(row: sqlite3.Row | tuple[Any, ...]) -> FeedState:
    return FeedState(
        key=row[0],
        status=FeedStatus(row[1]),
        etag=row[2],
        last_modified=row[3],
        http_status=row[4],
        consecutive_failures=row[5],
        last_error=row[6],
        last_success=dt_or_none(row[7]),
        next_due=dt_or_none(row[8]),
        first_polled=dt_or_none(row[9]),
        last_new_item=dt_or_none(row[10]),
        publish_interval=delta_or_none(row[11]),
    )


def _upsert(columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    return f"INSERT INTO feeds ({names}) VALUES ({marks}) ON CONFLICT (key) DO UPDATE SET {updates}"


def get(conn: sqlite3.Connection, key: str) -> FeedState | None:
    row = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feeds WHERE key = ?", (key,)).fetchone()
    return None if row is None else _state(row)


def list_all(conn: sqlite3.Connection) -> list[FeedState]:
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feeds ORDER BY key").fetchall()
    return [_state(row) for row in rows]


def save(conn: sqlite3.Connection, state: FeedState) -> None:
    """Write every field of `state`."""
    conn.execute(_upsert(_COLUMNS), _row(state))


def save_polled(conn: sqlite3.Connection, feed: str, state: FeedState | None) -> None:
    """Write the poller's fields of `state` (or just make sure the feed has a row)."""
    if state is None:
        conn.execute("INSERT INTO feeds (key) VALUES (?) ON CONFLICT (key) DO NOTHING", (feed,))
        return
    if state.key != feed:
        raise ValueError(f"feed state for {state.key!r} given with a batch of {feed!r}")
    conn.execute(_upsert(("key", *_POLLER)), _row(state)[: 1 + len(_POLLER)])


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
        (feed, _RECENT_ITEMS),
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
