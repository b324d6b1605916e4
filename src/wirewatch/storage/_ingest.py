"""Ingest, for both dialects: lock what the batch touches, read its snapshot, plan, write.

The store runs `ingest` as one transaction. Where several instances may ingest at once
(PostgreSQL), the dialect first takes locks on the batch's feed, on the canonical URLs of the
items its feed has not had and on the stories it names, so any two ingests that could decide
the same thing run one after the other and the second reads what the first committed: the
plan is exact, not merely harmless. (SQLite's write transaction locks the whole file.) Every
insert is still `ON CONFLICT DO NOTHING` on the natural keys (alert id per story and
watchlist, outbox id per alert and notifier), so nothing is ever created twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from wirewatch.model import FeedItem
from wirewatch.storage import _feeds as feeds
from wirewatch.storage._plan import NewDelivery, Plan, Snapshot, item_of, plan, preview, story_ids
from wirewatch.storage._queries import story_sources
from wirewatch.storage._rows import item_params, source_params
from wirewatch.storage.codec import Codec, alert_from_json, alert_to_json
from wirewatch.storage.records import FaultHook, IngestBatch, IngestOutcome, Novelty
from wirewatch.storage.sql import Dialect, Steps, many, rows, shared

SEEN = shared(
    "SELECT item_id, content_hash FROM seen WHERE feed = :feed AND item_id IN (:ids)",
    expand="ids",
)
SEEN_URLS = shared(
    "SELECT DISTINCT url FROM seen WHERE url <> '' AND url IN (:urls)", expand="urls"
)
STORIES = shared("SELECT id FROM stories WHERE id IN (:ids)", expand="ids")
ITEM_ALERTS = shared(
    "SELECT s.item_id, a.id, a.story_id FROM story_sources s"
    " JOIN alerts a ON a.story_id = s.story_id WHERE s.feed = :feed AND s.item_id IN (:ids)",
    expand="ids",
)
ALERTS = shared(
    "SELECT story_id, watchlist, body, destinations FROM alerts WHERE story_id IN (:ids)",
    expand="ids",
)
_ITEM_COLUMNS = "url, title, summary, content, published, authors, tags, language"
_ITEM_VALUES = ", ".join(f":{c}" for c in _ITEM_COLUMNS.split(", "))
INSERT_SEEN = shared(
    "INSERT INTO seen (feed, item_id, url, content_hash, first_seen, last_seen)"
    " VALUES (:feed, :item_id, :url, :digest, :now, :now) ON CONFLICT (feed, item_id) DO NOTHING"
)
INSERT_ITEM = shared(
    f"INSERT INTO items (feed, item_id, {_ITEM_COLUMNS}, first_seen, updated_at)"
    f" VALUES (:feed, :item_id, {_ITEM_VALUES}, :now, :now)"
    " ON CONFLICT (feed, item_id) DO NOTHING"
)
TOUCH_SEEN = shared(
    "UPDATE seen SET content_hash = :digest, last_seen = :now"
    " WHERE feed = :feed AND item_id = :item_id"
)
EDIT_ITEM = shared(
    "UPDATE items SET url = :url, title = :title, summary = :summary, content = :content,"
    " published = :published, authors = :authors, tags = :tags, language = :language,"
    " updated_at = :now WHERE feed = :feed AND item_id = :item_id"
)
EDIT_SOURCE = shared(
    "UPDATE story_sources SET title = :title, url = :url WHERE feed = :feed AND item_id = :item_id"
)
INSERT_STORY = shared(
    "INSERT INTO stories (id, signature, created_at) VALUES (:id, :signature, :now)"
    " ON CONFLICT (id) DO NOTHING"
)
INSERT_SOURCE = shared(
    "INSERT INTO story_sources (story_id, feed, item_id, title, url, published, seen_at)"
    " VALUES (:story_id, :feed, :item_id, :title, :url, :published, :seen_at)"
    " ON CONFLICT (story_id, feed, item_id) DO NOTHING"
)
INSERT_ALERT = shared(
    "INSERT INTO alerts (id, story_id, watchlist, created_at, destinations, body)"
    " VALUES (:id, :story_id, :watchlist, :now, :destinations, :body) ON CONFLICT DO NOTHING"
)
INSERT_ENTITY = shared(
    "INSERT INTO alert_entities (alert_id, entity) VALUES (:alert_id, :entity)"
    " ON CONFLICT DO NOTHING"
)
INSERT_DELIVERY = shared(
    "INSERT INTO outbox (id, alert_id, notifier, event, payload, state, attempts,"
    " created_at, due_at) VALUES (:id, :alert_id, :notifier, :event, :payload, 'pending', 0,"
    " :now, :now) ON CONFLICT (id) DO NOTHING"
)


def ingest(dialect: Dialect, batch: IngestBatch, fault: FaultHook) -> Steps[IngestOutcome]:
    """Write the whole batch in the caller's transaction; `fault` is called between steps."""
    codec = dialect.codec
    codec.time(batch.now)  # a naive `now` fails before anything is read
    items = [item_of(b, batch.feed) for b in batch.items]
    yield from dialect.lock_feed(batch.feed)
    seen = yield from _seen(batch.feed, [i.id for i in items])
    fresh_urls = [i.url for i in items if i.id not in seen]
    yield from dialect.lock_news(fresh_urls, story_ids(batch))
    yield from feeds.save_polled(codec, batch.feed, batch.feed_state)
    result = plan(batch, (yield from _snapshot(codec, batch, items, seen)), items)
    yield from _write_items(codec, batch.feed, result)
    fault("ingest.items")
    yield from _write_alerts(codec, result)
    fault("ingest.alerts")
    yield from _write_deliveries(codec, result)
    yield from feeds.record_poll(codec, batch.feed, batch.now, result.outcome.new)
    fault("ingest.commit")
    return result.outcome


def novelty(feed: str, items: Sequence[FeedItem]) -> Steps[dict[str, Novelty]]:
    seen = yield from _seen(feed, [i.id for i in items])
    return preview(items, seen, (yield from _seen_urls([i.url for i in items])))


def _seen(feed: str, ids: Sequence[str]) -> Steps[dict[str, str]]:
    return {row[0]: row[1] for row in (yield from rows(SEEN, feed=feed, ids=ids))}


def _seen_urls(urls: Sequence[str]) -> Steps[set[str]]:
    return {row[0] for row in (yield from rows(SEEN_URLS, urls=[u for u in urls if u]))}


def _snapshot(
    codec: Codec, batch: IngestBatch, items: list[FeedItem], seen: dict[str, str]
) -> Steps[Snapshot]:
    stories = story_ids(batch)
    snap = Snapshot(
        first_poll=(yield from feeds.is_first_poll(batch.feed)),
        seen=seen,
        seen_urls=(yield from _seen_urls([i.url for i in items])),
        stories={row[0] for row in (yield from rows(STORIES, ids=stories))},
        alerts={},
        sources={},
    )
    if batch.notify_updates and seen:
        for item_id, alert_id, story in (
            yield from rows(ITEM_ALERTS, feed=batch.feed, ids=list(seen))
        ):
            snap.item_alerts.setdefault(item_id, []).append(alert_id)
            stories.add(story)
    for story, watchlist, body, destinations in (yield from rows(ALERTS, ids=stories)):
        found = (alert_from_json(body), codec.read_array(destinations))
        snap.alerts[(story, watchlist)] = found
        snap.alerts_by_id[found[0].id] = found
    snap.sources = yield from story_sources(codec, stories)
    return snap


def _write_items(codec: Codec, feed: str, result: Plan) -> Steps[None]:
    now = codec.time(result.now)
    yield from many(
        INSERT_SEEN,
        [
            {"feed": i.feed, "item_id": i.id, "url": i.url, "digest": d, "now": now}
            for i, d in result.seen_new
        ],
    )
    yield from many(INSERT_ITEM, [item_params(i, now, codec) for i in result.items_new])
    yield from many(
        TOUCH_SEEN,
        [{"digest": d, "now": now, "feed": feed, "item_id": i} for i, d in result.seen_touched],
    )
    edited = [item_params(i, now, codec) for i in result.items_edited]
    yield from many(EDIT_ITEM, edited)
    yield from many(EDIT_SOURCE, edited)


def _write_alerts(codec: Codec, result: Plan) -> Steps[None]:
    now = codec.time(result.now)
    yield from many(
        INSERT_STORY, [{"id": s, "signature": sig, "now": now} for s, sig in result.stories]
    )
    yield from many(
        INSERT_SOURCE, [{"story_id": s, **source_params(src, codec)} for s, src in result.sources]
    )
    yield from many(
        INSERT_ALERT,
        [
            {
                "id": a.alert.id,
                "story_id": a.alert.story_id,
                "watchlist": a.alert.watchlist,
                "now": now,
                "destinations": codec.array(a.destinations),
                "body": alert_to_json(a.alert),
            }
            for a in result.alerts
        ],
    )
    yield from many(
        INSERT_ENTITY,
        [{"alert_id": a.alert.id, "entity": e} for a in result.alerts for e in a.entities],
    )


def _payload(delivery: NewDelivery) -> str | None:
    """An update carries its own payload; a creation sends the alert's stored body."""
    return None if delivery.alert.event == "alert.created" else alert_to_json(delivery.alert)


def _write_deliveries(codec: Codec, result: Plan) -> Steps[None]:
    now = codec.time(result.now)
    yield from many(
        INSERT_DELIVERY,
        [
            {
                "id": d.id,
                "alert_id": d.alert.id,
                "notifier": d.notifier,
                "event": d.alert.event,
                "payload": _payload(d),
                "now": now,
            }
            for d in result.deliveries
        ],
    )
