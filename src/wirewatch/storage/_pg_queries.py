"""Read queries (alerts, items, stories) and retention in PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from wirewatch.model import Alert, FeedItem, Source
from wirewatch.storage import _pg_outbox as outbox
from wirewatch.storage._codec import alert_from_json
from wirewatch.storage._pg_db import Conn, at, utc, utc_or_none
from wirewatch.storage.base import AlertRecord, StoredItem, StoryMemberRecord, StoryRecord


async def recent_alerts(
    conn: Conn,
    since: datetime,
    watchlist: str | None,
    entity: str | None,
    limit: int,
    offset: int,
) -> list[AlertRecord]:
    where, params = ["a.created_at >= %s"], list[object]([at(since)])
    if watchlist is not None:
        where.append("a.watchlist = %s")
        params.append(watchlist)
    if entity is not None:
        where.append(
            "EXISTS (SELECT 1 FROM alert_entities e WHERE e.alert_id = a.id AND e.entity = %s)"
        )
        params.append(entity)
    cur = await conn.execute(
        f"SELECT a.body::text FROM alerts a WHERE {' AND '.join(where)}"
        " ORDER BY a.created_at DESC, a.id LIMIT %s OFFSET %s",
        (*params, limit, offset),
    )
    return await _records(conn, [alert_from_json(row[0]) for row in await cur.fetchall()])


async def alert_record(conn: Conn, alert_id: str) -> AlertRecord | None:
    """One alert by its id, as `recent_alerts` shows it; None when there is none."""
    cur = await conn.execute("SELECT body::text FROM alerts WHERE id = %s", (alert_id,))
    row = await cur.fetchone()
    return (await _records(conn, [alert_from_json(row[0])]))[0] if row else None


async def _records(conn: Conn, alerts: list[Alert]) -> list[AlertRecord]:
    ids = [a.id for a in alerts]
    entities = await _entities(conn, ids)
    sources = await story_sources(conn, [a.story_id for a in alerts])
    deliveries = await outbox.statuses(conn, ids)
    return [
        AlertRecord(
            alert=dataclasses.replace(a, sources=tuple(sources.get(a.story_id, a.sources))),
            entities=tuple(entities.get(a.id, [])),
            deliveries=tuple(deliveries.get(a.id, [])),
        )
        for a in alerts
    ]


async def _entities(conn: Conn, alert_ids: list[str]) -> dict[str, list[str]]:
    cur = await conn.execute(
        "SELECT alert_id, entity FROM alert_entities WHERE alert_id = ANY(%s)"
        " ORDER BY alert_id, entity",
        (alert_ids,),
    )
    found: dict[str, list[str]] = {}
    for alert_id, entity in await cur.fetchall():
        found.setdefault(alert_id, []).append(entity)
    return found


async def story_sources(conn: Conn, stories: Iterable[str]) -> dict[str, list[Source]]:
    cur = await conn.execute(
        "SELECT story_id, feed, item_id, title, url, published, seen_at FROM story_sources"
        " WHERE story_id = ANY(%s) ORDER BY seen_at, feed, item_id",
        (sorted(set(stories)),),
    )
    found: dict[str, list[Source]] = {}
    for row in await cur.fetchall():
        source = Source(row[1], row[2], row[3], row[4], utc_or_none(row[5]), utc(row[6]))
        found.setdefault(row[0], []).append(source)
    return found


async def stored_items(conn: Conn, since: datetime) -> list[StoredItem]:
    cur = await conn.execute(
        "SELECT feed, item_id, url, title, summary, content, published, authors, tags, language,"
        " first_seen FROM items WHERE first_seen >= %s ORDER BY first_seen, feed, item_id",
        (at(since),),
    )
    return [StoredItem(_item(row), utc(row[10])) for row in await cur.fetchall()]


async def item_counts(conn: Conn, since: datetime) -> dict[str, dict[date, int]]:
    cur = await conn.execute(
        "SELECT feed, (first_seen AT TIME ZONE 'UTC')::date, count(*) FROM items"
        " WHERE first_seen >= %s GROUP BY 1, 2",
        (at(since),),
    )
    found: dict[str, dict[date, int]] = {}
    for feed, day, count in await cur.fetchall():
        found.setdefault(feed, {})[day] = count
    return found


def _item(row: tuple[Any, ...]) -> FeedItem:
    return FeedItem(
        id=row[1],
        feed=row[0],
        url=row[2],
        title=row[3],
        summary=row[4],
        content=row[5],
        published=utc_or_none(row[6]),
        authors=tuple(row[7]),
        tags=tuple(row[8]),
        language=row[9],
    )


async def recent_stories(conn: Conn, since: datetime) -> list[StoryRecord]:
    cur = await conn.execute(
        "SELECT s.id, s.signature, s.created_at,"
        " COALESCE(array_agg(a.watchlist ORDER BY a.watchlist)"
        " FILTER (WHERE a.watchlist IS NOT NULL), '{}')"
        " FROM stories s LEFT JOIN alerts a ON a.story_id = s.id WHERE s.created_at >= %s"
        " GROUP BY s.id ORDER BY s.created_at, s.id",
        (at(since),),
    )
    return [StoryRecord(row[0], row[1], utc(row[2]), tuple(row[3])) for row in await cur.fetchall()]


_MEMBERS = (
    "SELECT ss.story_id, i.feed, i.item_id, i.url, i.title, i.summary, i.published, ss.seen_at"
    " FROM story_sources ss JOIN items i ON i.feed = ss.feed AND i.item_id = ss.item_id"
    " WHERE ss.seen_at >= %s AND (%s::text IS NULL OR ss.story_id = %s)"
    " ORDER BY ss.seen_at, ss.feed, ss.item_id"
)


async def story_members(
    conn: Conn, since: datetime, story_id: str | None
) -> list[StoryMemberRecord]:
    cur = await conn.execute(_MEMBERS, (at(since), story_id, story_id))
    return [
        StoryMemberRecord(
            row[0],
            FeedItem(row[2], row[1], row[4], row[5], url=row[3], published=utc_or_none(row[6])),
            utc(row[7]),
        )
        for row in await cur.fetchall()
    ]


PRUNE = {
    "deliveries": "DELETE FROM outbox WHERE alert_id IN (SELECT a.id FROM alerts a"
    " WHERE a.created_at < %(cutoff)s AND NOT EXISTS (SELECT 1 FROM outbox o"
    " WHERE o.alert_id = a.id AND o.state <> 'delivered'))",
    "alerts": "DELETE FROM alerts WHERE created_at < %(cutoff)s"
    " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = alerts.id)",
    "stories": "DELETE FROM stories WHERE created_at < %(cutoff)s"
    " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.story_id = stories.id)",
    "items": "DELETE FROM items WHERE first_seen < %(cutoff)s",
    "seen": "DELETE FROM seen WHERE last_seen < %(seen_cutoff)s",
    "silences": "DELETE FROM silences WHERE ends_at < %(cutoff)s",
}
"""One retention pass, a step per transaction (see `PostgresStore.prune`)."""


def prune_params(now: datetime, max_age: timedelta, seen_max_age: timedelta) -> dict[str, Any]:
    if seen_max_age < max_age:
        raise ValueError("seen ids must be kept at least as long as items")
    return {"cutoff": at(now) - max_age, "seen_cutoff": at(now) - seen_max_age}


async def prune_step(conn: Conn, *, sql: str, params: dict[str, Any]) -> int:
    cur = await conn.execute(sql, params)
    return cur.rowcount
