"""Ingest in SQLite: read the snapshot a batch touches, plan, write the plan in batches."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from wirewatch.model import FeedItem
from wirewatch.storage import _sqlite_feeds as feeds
from wirewatch.storage._codec import alert_from_json, alert_to_json, ts, ts_or_none
from wirewatch.storage._plan import (
    NewAlert,
    NewDelivery,
    Plan,
    Snapshot,
    item_of,
    plan,
    preview,
    story_ids,
)
from wirewatch.storage._sqlite_db import select_in, write
from wirewatch.storage._sqlite_queries import story_sources
from wirewatch.storage.base import FaultHook, IngestBatch, IngestOutcome, Novelty


def ingest(conn: sqlite3.Connection, batch: IngestBatch, fault: FaultHook) -> IngestOutcome:
    """Write the whole batch in one transaction; `fault` is called between the steps."""
    ts(batch.now)
    with write(conn):
        feeds.save_polled(conn, batch.feed, batch.feed_state)
        result = plan(batch, _snapshot(conn, batch))
        _write_items(conn, batch.feed, result)
        fault("ingest.items")
        _write_alerts(conn, result)
        fault("ingest.alerts")
        _write_deliveries(conn, result)
        feeds.record_poll(conn, batch.feed, batch.now, result.outcome.new)
        fault("ingest.commit")
    return result.outcome


def novelty(conn: sqlite3.Connection, feed: str, items: Sequence[FeedItem]) -> dict[str, Novelty]:
    seen = _seen(conn, feed, [i.id for i in items])
    return preview(items, seen, _seen_urls(conn, [i.url for i in items]))


def _seen(conn: sqlite3.Connection, feed: str, ids: Sequence[str]) -> dict[str, str]:
    sql = "SELECT item_id, content_hash FROM seen WHERE feed = ? AND item_id IN ({marks})"
    return {row[0]: row[1] for row in select_in(conn, sql, ids, (feed,))}


def _seen_urls(conn: sqlite3.Connection, urls: Sequence[str]) -> set[str]:
    sql = "SELECT DISTINCT url FROM seen WHERE url <> '' AND url IN ({marks})"
    return {row[0] for row in select_in(conn, sql, [u for u in urls if u])}


def _snapshot(conn: sqlite3.Connection, batch: IngestBatch) -> Snapshot:
    items = [item_of(b, batch.feed) for b in batch.items]
    seen = _seen(conn, batch.feed, [i.id for i in items])
    stories = story_ids(batch)
    existing = select_in(conn, "SELECT id FROM stories WHERE id IN ({marks})", stories)
    snap = Snapshot(
        first_poll=feeds.is_first_poll(conn, batch.feed),
        seen=seen,
        seen_urls=_seen_urls(conn, [i.url for i in items]),
        stories={row[0] for row in existing},
        alerts={},
        sources={},
    )
    if batch.notify_updates and seen:
        sql = (
            "SELECT s.item_id, a.id, a.story_id FROM story_sources s"
            " JOIN alerts a ON a.story_id = s.story_id WHERE s.feed = ? AND s.item_id IN ({marks})"
        )
        for item_id, alert_id, story in select_in(conn, sql, list(seen), (batch.feed,)):
            snap.item_alerts.setdefault(item_id, []).append(alert_id)
            stories.add(story)
    _load_alerts(conn, snap, stories)
    snap.sources = story_sources(conn, stories)
    return snap


def _load_alerts(conn: sqlite3.Connection, snap: Snapshot, stories: set[str]) -> None:
    sql = "SELECT story_id, watchlist, body, destinations FROM alerts WHERE story_id IN ({marks})"
    for story, watchlist, body, destinations in select_in(conn, sql, stories):
        found = (alert_from_json(body), tuple(json.loads(destinations)))
        snap.alerts[(story, watchlist)] = found
        snap.alerts_by_id[found[0].id] = found


def _item_row(item: FeedItem, now: str) -> tuple[object, ...]:
    return (
        item.feed,
        item.id,
        item.url,
        item.title,
        item.summary,
        item.content,
        ts_or_none(item.published),
        json.dumps(list(item.authors), ensure_ascii=False),
        json.dumps(list(item.tags), ensure_ascii=False),
        item.language,
        now,
        now,
    )


def _write_items(conn: sqlite3.Connection, feed: str, result: Plan) -> None:
    now = ts(result.now)
    conn.executemany(
        "INSERT INTO seen (feed, item_id, url, content_hash, first_seen, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (feed, item_id) DO NOTHING",
        [(i.feed, i.id, i.url, digest, now, now) for i, digest in result.seen_new],
    )
    conn.executemany(
        "INSERT INTO items (feed, item_id, url, title, summary, content, published, authors,"
        " tags, language, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (feed, item_id) DO NOTHING",
        [_item_row(i, now) for i in result.items_new],
    )
    conn.executemany(
        "UPDATE seen SET content_hash = ?, last_seen = ? WHERE feed = ? AND item_id = ?",
        [(digest, now, feed, item_id) for item_id, digest in result.seen_touched],
    )
    conn.executemany(
        "UPDATE items SET url = ?, title = ?, summary = ?, content = ?, published = ?,"
        " authors = ?, tags = ?, language = ?, updated_at = ? WHERE feed = ? AND item_id = ?",
        [(*_item_row(i, now)[2:10], now, i.feed, i.id) for i in result.items_edited],
    )
    conn.executemany(
        "UPDATE story_sources SET title = ?, url = ? WHERE feed = ? AND item_id = ?",
        [(i.title, i.url, i.feed, i.id) for i in result.items_edited],
    )


def _write_alerts(conn: sqlite3.Connection, result: Plan) -> None:
    now = ts(result.now)
    conn.executemany(
        "INSERT INTO stories (id, signature, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        [(story, signature, now) for story, signature in result.stories],
    )
    conn.executemany(
        "INSERT INTO story_sources (story_id, feed, item_id, title, url, published, seen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (story_id, feed, item_id) DO NOTHING",
        [
            (story, s.feed, s.item_id, s.title, s.url, ts_or_none(s.published), ts(s.seen_at))
            for story, s in result.sources
        ],
    )
    conn.executemany(
        "INSERT INTO alerts (id, story_id, watchlist, created_at, destinations, body)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            (a.alert.id, a.alert.story_id, a.alert.watchlist, now, *_alert_columns(a))
            for a in result.alerts
        ],
    )
    conn.executemany(
        "INSERT INTO alert_entities (alert_id, entity) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(a.alert.id, entity) for a in result.alerts for entity in a.entities],
    )


def _alert_columns(new: NewAlert) -> tuple[str, str]:
    return json.dumps(list(new.destinations)), alert_to_json(new.alert)


def _payload(delivery: NewDelivery) -> str | None:
    """An update carries its own payload; a creation sends the alert's stored body."""
    return None if delivery.event == "alert.created" else alert_to_json(delivery.alert)


def _write_deliveries(conn: sqlite3.Connection, result: Plan) -> None:
    now = ts(result.now)
    conn.executemany(
        "INSERT INTO outbox (id, alert_id, notifier, event, payload, state, attempts,"
        " created_at, due_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        [(d.id, d.alert.id, d.notifier, d.event, _payload(d), now, now) for d in result.deliveries],
    )
