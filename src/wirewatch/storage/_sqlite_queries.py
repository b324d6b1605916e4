"""Read queries (alerts, items, stories) and retention in SQLite."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from wirewatch.model import Alert, FeedItem, Source
from wirewatch.storage import _sqlite_outbox as outbox
from wirewatch.storage._codec import alert_from_json, dt, dt_or_none, ts
from wirewatch.storage._sqlite_db import select_in, write
from wirewatch.storage.base import (
    AlertRecord,
    PruneOutcome,
    StoredItem,
    StoryMemberRecord,
    StoryRecord,
)


def recent_alerts(
    conn: sqlite3.Connection,
    since: datetime,
    watchlist: str | None,
    entity: str | None,
    limit: int,
    offset: int,
) -> list[AlertRecord]:
    where, params = ["a.created_at >= ?"], [ts(since)]
    if watchlist is not None:
        where.append("a.watchlist = ?")
        params.append(watchlist)
    if entity is not None:
        where.append(
            "EXISTS (SELECT 1 FROM alert_entities e WHERE e.alert_id = a.id AND e.entity = ?)"
        )
        params.append(entity)
    rows = conn.execute(
        f"SELECT a.id, a.body FROM alerts a WHERE {' AND '.join(where)}"
        " ORDER BY a.created_at DESC, a.id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return _records(conn, [alert_from_json(body) for _, body in rows])


def alert_record(conn: sqlite3.Connection, alert_id: str) -> AlertRecord | None:
    """One alert by its id, as `recent_alerts` shows it; None when there is none."""
    row = conn.execute("SELECT body FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return _records(conn, [alert_from_json(row[0])])[0] if row else None


def _records(conn: sqlite3.Connection, alerts: list[Alert]) -> list[AlertRecord]:
    ids = [a.id for a in alerts]
    entities = _entities(conn, ids)
    sources = story_sources(conn, [a.story_id for a in alerts])
    deliveries = outbox.statuses(conn, ids)
    return [
        AlertRecord(
            alert=dataclasses.replace(a, sources=tuple(sources.get(a.story_id, a.sources))),
            entities=tuple(entities.get(a.id, [])),
            deliveries=tuple(deliveries.get(a.id, [])),
        )
        for a in alerts
    ]


def _entities(conn: sqlite3.Connection, alert_ids: Sequence[str]) -> dict[str, list[str]]:
    sql = "SELECT alert_id, entity FROM alert_entities WHERE alert_id IN ({marks})"
    found: dict[str, list[str]] = {}
    for alert_id, entity in sorted(select_in(conn, sql, alert_ids)):
        found.setdefault(alert_id, []).append(entity)
    return found


def story_sources(conn: sqlite3.Connection, stories: Iterable[str]) -> dict[str, list[Source]]:
    sql = (
        "SELECT story_id, feed, item_id, title, url, published, seen_at FROM story_sources"
        " WHERE story_id IN ({marks})"
    )
    found: dict[str, list[Source]] = {}
    for row in select_in(conn, sql, stories):
        source = Source(row[1], row[2], row[3], row[4], dt_or_none(row[5]), dt(row[6]))
        found.setdefault(row[0], []).append(source)
    for sources in found.values():
        sources.sort(key=lambda s: (s.seen_at, s.feed, s.item_id))
    return found


def stored_items(conn: sqlite3.Connection, since: datetime) -> list[StoredItem]:
    rows = conn.execute(
        "SELECT feed, item_id, url, title, summary, content, published, authors, tags, language,"
        " first_seen FROM items WHERE first_seen >= ? ORDER BY first_seen, feed, item_id",
        (ts(since),),
    ).fetchall()
    return [StoredItem(_item(row), dt(row[10])) for row in rows]


def item_counts(conn: sqlite3.Connection, since: datetime) -> dict[str, dict[date, int]]:
    rows = conn.execute(
        "SELECT feed, substr(first_seen, 1, 10), count(*) FROM items WHERE first_seen >= ?"
        " GROUP BY 1, 2",
        (ts(since),),
    ).fetchall()
    found: dict[str, dict[date, int]] = {}
    for feed, day, count in rows:
        found.setdefault(feed, {})[date.fromisoformat(day)] = count
    return found


def _item(row: tuple[Any, ...]) -> FeedItem:
    return FeedItem(
        id=row[1],
        feed=row[0],
        url=row[2],
        title=row[3],
        summary=row[4],
        content=row[5],
        published=dt_or_none(row[6]),
        authors=tuple(json.loads(row[7])),
        tags=tuple(json.loads(row[8])),
        language=row[9],
    )


def recent_stories(conn: sqlite3.Connection, since: datetime) -> list[StoryRecord]:
    at = ts(since)
    watchlists: dict[str, list[str]] = {}
    for story, watchlist in conn.execute(
        "SELECT a.story_id, a.watchlist FROM alerts a JOIN stories s ON s.id = a.story_id"
        " WHERE s.created_at >= ? ORDER BY a.watchlist",
        (at,),
    ):
        watchlists.setdefault(story, []).append(watchlist)
    rows = conn.execute(
        "SELECT id, signature, created_at FROM stories WHERE created_at >= ?"
        " ORDER BY created_at, id",
        (at,),
    ).fetchall()
    return [
        StoryRecord(row[0], row[1], dt(row[2]), tuple(watchlists.get(row[0], []))) for row in rows
    ]


_MEMBERS = (
    "SELECT ss.story_id, i.feed, i.item_id, i.url, i.title, i.summary, i.published, ss.seen_at"
    " FROM story_sources ss JOIN items i ON i.feed = ss.feed AND i.item_id = ss.item_id"
    " WHERE ss.seen_at >= ?{story} ORDER BY ss.seen_at, ss.feed, ss.item_id"
)


def story_members(
    conn: sqlite3.Connection, since: datetime, story_id: str | None
) -> list[StoryMemberRecord]:
    if story_id is None:
        rows = conn.execute(_MEMBERS.format(story=""), (ts(since),)).fetchall()
    else:
        sql = _MEMBERS.format(story=" AND ss.story_id = ?")
        rows = conn.execute(sql, (ts(since), story_id)).fetchall()
    return [
        StoryMemberRecord(
            row[0],
            FeedItem(row[2], row[1], row[4], row[5], url=row[3], published=dt_or_none(row[6])),
            dt(row[7]),
        )
        for row in rows
    ]


_PRUNE = {
    "deliveries": "DELETE FROM outbox WHERE alert_id IN (SELECT a.id FROM alerts a"
    " WHERE a.created_at < :cutoff AND NOT EXISTS (SELECT 1 FROM outbox o"
    " WHERE o.alert_id = a.id AND o.state <> 'delivered'))",
    "alerts": "DELETE FROM alerts WHERE created_at < :cutoff"
    " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = alerts.id)",
    "stories": "DELETE FROM stories WHERE created_at < :cutoff"
    " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.story_id = stories.id)",
    "items": "DELETE FROM items WHERE first_seen < :cutoff",
    "seen": "DELETE FROM seen WHERE last_seen < :seen_cutoff",
    "silences": "DELETE FROM silences WHERE ends_at < :cutoff",
}


def prune(
    conn: sqlite3.Connection, now: datetime, max_age: timedelta, seen_max_age: timedelta
) -> PruneOutcome:
    """One retention pass; each step is its own short transaction and leaves a consistent
    database, so a pass cut short is simply finished by the next one."""
    if seen_max_age < max_age:
        raise ValueError("seen ids must be kept at least as long as items")
    params = {"cutoff": ts(now - max_age), "seen_cutoff": ts(now - seen_max_age)}
    counts: dict[str, int] = {}
    for name, sql in _PRUNE.items():
        with write(conn):
            counts[name] = conn.execute(sql, params).rowcount
    return PruneOutcome(**counts)
