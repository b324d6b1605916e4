"""Ingest in PostgreSQL: lock what the batch touches, read its snapshot, plan, write the plan.

Several instances may ingest at once. Before reading, an ingest takes transaction advisory
locks on its feed, on the canonical URLs of the items its feed has not had, and on the stories
it names (see `_pg_db`), so any two ingests that could decide the same thing run one after the
other and the second reads what the first committed: the plan is exact, not merely harmless.
Every insert is still `ON CONFLICT DO NOTHING` on the natural keys (alert id per story and
watchlist, outbox id per alert and notifier), so nothing is ever created twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from wirewatch.model import FeedItem
from wirewatch.storage import _pg_feeds as feeds
from wirewatch.storage._codec import alert_from_json, alert_to_json
from wirewatch.storage._pg_db import Conn, at, at_or_none, lock_all, lock_feed, lock_keys
from wirewatch.storage._pg_queries import story_sources
from wirewatch.storage._plan import NewDelivery, Plan, Snapshot, item_of, plan, preview, story_ids
from wirewatch.storage.base import FaultHook, IngestBatch, IngestOutcome, Novelty


async def ingest(conn: Conn, batch: IngestBatch, fault: FaultHook) -> IngestOutcome:
    """Write the whole batch in the caller's transaction; `fault` is called between steps."""
    now = at(batch.now)
    items = [item_of(b, batch.feed) for b in batch.items]
    await lock_feed(conn, batch.feed)
    seen = await _seen(conn, batch.feed, [i.id for i in items])
    fresh_urls = [i.url for i in items if i.id not in seen]
    await lock_all(conn, lock_keys(batch.feed, fresh_urls, story_ids(batch)))
    await feeds.save_polled(conn, batch.feed, batch.feed_state)
    result = plan(batch, await _snapshot(conn, batch, items, seen))
    await _write_items(conn, batch.feed, now, result)
    fault("ingest.items")
    await _write_alerts(conn, now, result)
    fault("ingest.alerts")
    await _write_deliveries(conn, now, result)
    await feeds.record_poll(conn, batch.feed, now, result.outcome.new)
    fault("ingest.commit")
    return result.outcome


async def novelty(conn: Conn, feed: str, items: Sequence[FeedItem]) -> dict[str, Novelty]:
    seen = await _seen(conn, feed, [i.id for i in items])
    return preview(items, seen, await _seen_urls(conn, [i.url for i in items]))


async def _seen(conn: Conn, feed: str, ids: Sequence[str]) -> dict[str, str]:
    cur = await conn.execute(
        "SELECT item_id, content_hash FROM seen WHERE feed = %s AND item_id = ANY(%s)",
        (feed, list(ids)),
    )
    return {row[0]: row[1] for row in await cur.fetchall()}


async def _seen_urls(conn: Conn, urls: Sequence[str]) -> set[str]:
    wanted = sorted({u for u in urls if u})
    if not wanted:
        return set()
    cur = await conn.execute(
        "SELECT DISTINCT url FROM seen WHERE url <> '' AND url = ANY(%s)", (wanted,)
    )
    return {row[0] for row in await cur.fetchall()}


async def _snapshot(
    conn: Conn, batch: IngestBatch, items: list[FeedItem], seen: dict[str, str]
) -> Snapshot:
    stories = story_ids(batch)
    cur = await conn.execute("SELECT id FROM stories WHERE id = ANY(%s)", (sorted(stories),))
    snap = Snapshot(
        first_poll=await feeds.is_first_poll(conn, batch.feed),
        seen=seen,
        seen_urls=await _seen_urls(conn, [i.url for i in items]),
        stories={row[0] for row in await cur.fetchall()},
        alerts={},
        sources={},
    )
    if batch.notify_updates and seen:
        cur = await conn.execute(
            "SELECT s.item_id, a.id, a.story_id FROM story_sources s"
            " JOIN alerts a ON a.story_id = s.story_id"
            " WHERE s.feed = %s AND s.item_id = ANY(%s)",
            (batch.feed, list(seen)),
        )
        for item_id, alert_id, story in await cur.fetchall():
            snap.item_alerts.setdefault(item_id, []).append(alert_id)
            stories.add(story)
    await _load_alerts(conn, snap, stories)
    snap.sources = await story_sources(conn, stories)
    return snap


async def _load_alerts(conn: Conn, snap: Snapshot, stories: set[str]) -> None:
    cur = await conn.execute(
        "SELECT story_id, watchlist, body::text, destinations FROM alerts WHERE story_id = ANY(%s)",
        (sorted(stories),),
    )
    for story, watchlist, body, destinations in await cur.fetchall():
        found = (alert_from_json(body), tuple(destinations))
        snap.alerts[(story, watchlist)] = found
        snap.alerts_by_id[found[0].id] = found


def _item_row(item: FeedItem, now: datetime) -> tuple[Any, ...]:
    return (
        item.feed,
        item.id,
        item.url,
        item.title,
        item.summary,
        item.content,
        at_or_none(item.published),
        list(item.authors),
        list(item.tags),
        item.language,
        now,
        now,
    )


async def _write_items(conn: Conn, feed: str, now: datetime, result: Plan) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO seen (feed, item_id, url, content_hash, first_seen, last_seen)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (feed, item_id) DO NOTHING",
            [(i.feed, i.id, i.url, digest, now, now) for i, digest in result.seen_new],
        )
        await cur.executemany(
            "INSERT INTO items (feed, item_id, url, title, summary, content, published,"
            " authors, tags, language, first_seen, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (feed, item_id) DO NOTHING",
            [_item_row(i, now) for i in result.items_new],
        )
        await cur.executemany(
            "UPDATE seen SET content_hash = %s, last_seen = %s WHERE feed = %s AND item_id = %s",
            [(digest, now, feed, item_id) for item_id, digest in result.seen_touched],
        )
        await cur.executemany(
            "UPDATE items SET url = %s, title = %s, summary = %s, content = %s, published = %s,"
            " authors = %s, tags = %s, language = %s, updated_at = %s"
            " WHERE feed = %s AND item_id = %s",
            [(*_item_row(i, now)[2:10], now, i.feed, i.id) for i in result.items_edited],
        )
        await cur.executemany(
            "UPDATE story_sources SET title = %s, url = %s WHERE feed = %s AND item_id = %s",
            [(i.title, i.url, i.feed, i.id) for i in result.items_edited],
        )


async def _write_alerts(conn: Conn, now: datetime, result: Plan) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO stories (id, signature, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            [(story, signature, now) for story, signature in result.stories],
        )
        await cur.executemany(
            "INSERT INTO story_sources (story_id, feed, item_id, title, url, published, seen_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (story_id, feed, item_id) DO NOTHING",
            [
                (story, s.feed, s.item_id, s.title, s.url, at_or_none(s.published), at(s.seen_at))
                for story, s in result.sources
            ],
        )
        await cur.executemany(
            "INSERT INTO alerts (id, story_id, watchlist, created_at, destinations, body)"
            " VALUES (%s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
            [
                (
                    a.alert.id,
                    a.alert.story_id,
                    a.alert.watchlist,
                    now,
                    list(a.destinations),
                    alert_to_json(a.alert),
                )
                for a in result.alerts
            ],
        )
        await cur.executemany(
            "INSERT INTO alert_entities (alert_id, entity) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(a.alert.id, entity) for a in result.alerts for entity in a.entities],
        )


def _payload(delivery: NewDelivery) -> str | None:
    """An update carries its own payload; a creation sends the alert's stored body."""
    return None if delivery.event == "alert.created" else alert_to_json(delivery.alert)


async def _write_deliveries(conn: Conn, now: datetime, result: Plan) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO outbox (id, alert_id, notifier, event, payload, state, attempts,"
            " created_at, due_at) VALUES (%s, %s, %s, %s, %s::jsonb, 'pending', 0, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            [
                (d.id, d.alert.id, d.notifier, d.event, _payload(d), now, now)
                for d in result.deliveries
            ],
        )
