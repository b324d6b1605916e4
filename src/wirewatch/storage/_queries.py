"""Read queries (alerts, items, stories) and retention, for both dialects."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from wirewatch.model import Alert, FeedItem, Source
from wirewatch.storage import outbox
from wirewatch.storage._rows import grouped, source, stored_item
from wirewatch.storage.codec import Codec, alert_from_json
from wirewatch.storage.records import AlertRecord, StoredItem, StoryMemberRecord, StoryRecord
from wirewatch.storage.sql import Dialect, Statement, Steps, one, rows, shared

_ALERTS = "SELECT a.body FROM alerts a WHERE a.created_at >= :since"
_OF_WATCHLIST = " AND a.watchlist = :watchlist"
_OF_ENTITY = (
    " AND EXISTS (SELECT 1 FROM alert_entities e WHERE e.alert_id = a.id AND e.entity = :entity)"
)
_PAGE = " ORDER BY a.created_at DESC, a.id LIMIT :limit OFFSET :offset"
RECENT_ALERTS = {
    (watchlist, entity): shared(_ALERTS + _OF_WATCHLIST * watchlist + _OF_ENTITY * entity + _PAGE)
    for watchlist in (False, True)
    for entity in (False, True)
}
"""By (watchlist given, entity given)."""
ALERT = shared("SELECT body FROM alerts WHERE id = :id")
ENTITIES = shared(
    "SELECT alert_id, entity FROM alert_entities WHERE alert_id IN (:ids)", expand="ids"
)
STORY_SOURCES = shared(
    "SELECT story_id, feed, item_id, title, url, published, seen_at FROM story_sources"
    " WHERE story_id IN (:ids)",
    expand="ids",
)
STORED_ITEMS = shared(
    "SELECT feed, item_id, url, title, summary, content, published, authors, tags, language,"
    " first_seen FROM items WHERE first_seen >= :since ORDER BY first_seen, feed, item_id"
)
STORIES = shared(
    "SELECT id, signature, created_at FROM stories WHERE created_at >= :since"
    " ORDER BY created_at, id"
)
STORY_WATCHLISTS = shared(
    "SELECT a.story_id, a.watchlist FROM alerts a JOIN stories s ON s.id = a.story_id"
    " WHERE s.created_at >= :since ORDER BY a.watchlist"
)
_MEMBERS = (
    "SELECT ss.story_id, i.feed, i.item_id, i.url, i.title, i.summary, i.published, ss.seen_at"
    " FROM story_sources ss JOIN items i ON i.feed = ss.feed AND i.item_id = ss.item_id"
    " WHERE ss.seen_at >= :since{story} ORDER BY ss.seen_at, ss.feed, ss.item_id"
)
MEMBERS = shared(_MEMBERS.format(story=""))
MEMBERS_OF = shared(_MEMBERS.format(story=" AND ss.story_id = :story_id"))


def recent_alerts(
    codec: Codec,
    since: datetime,
    watchlist: str | None,
    entity: str | None,
    limit: int,
    offset: int,
) -> Steps[list[AlertRecord]]:
    statement = RECENT_ALERTS[(watchlist is not None, entity is not None)]
    found = yield from rows(
        statement,
        since=codec.time(since),
        watchlist=watchlist,
        entity=entity,
        limit=limit,
        offset=offset,
    )
    return (yield from _records(codec, [alert_from_json(row[0]) for row in found]))


def alert_record(codec: Codec, alert_id: str) -> Steps[AlertRecord | None]:
    """One alert by its id, as `recent_alerts` shows it; None when there is none."""
    row = yield from one(ALERT, id=alert_id)
    if row is None:
        return None
    return (yield from _records(codec, [alert_from_json(row[0])]))[0]


def _records(codec: Codec, alerts: list[Alert]) -> Steps[list[AlertRecord]]:
    ids = [a.id for a in alerts]
    entities = yield from _entities(ids)
    sources = yield from story_sources(codec, [a.story_id for a in alerts])
    deliveries = yield from outbox.statuses(codec, ids)
    return [
        AlertRecord(
            alert=dataclasses.replace(a, sources=tuple(sources.get(a.story_id, a.sources))),
            entities=tuple(entities.get(a.id, [])),
            deliveries=tuple(deliveries.get(a.id, [])),
        )
        for a in alerts
    ]


def _entities(alert_ids: Sequence[str]) -> Steps[dict[str, list[str]]]:
    return grouped(sorted((yield from rows(ENTITIES, ids=alert_ids))), lambda row: row[1])


def story_sources(codec: Codec, stories: Iterable[str]) -> Steps[dict[str, list[Source]]]:
    """Each story's sources, in the order they were seen."""
    found = grouped((yield from rows(STORY_SOURCES, ids=stories)), lambda r: source(r[1:], codec))
    for sources in found.values():
        sources.sort(key=lambda s: (s.seen_at, s.feed, s.item_id))
    return found


def stored_items(codec: Codec, since: datetime) -> Steps[list[StoredItem]]:
    found = yield from rows(STORED_ITEMS, since=codec.time(since))
    return [StoredItem(stored_item(row, codec), codec.required(row[10])) for row in found]


def item_counts(dialect: Dialect, since: datetime) -> Steps[dict[str, dict[date, int]]]:
    codec = dialect.codec
    found: dict[str, dict[date, int]] = {}
    for feed, day, n in (yield from rows(dialect.item_counts, since=codec.time(since))):
        found.setdefault(feed, {})[codec.read_day(day)] = n
    return found


def recent_stories(codec: Codec, since: datetime) -> Steps[list[StoryRecord]]:
    at = codec.time(since)
    stories = yield from rows(STORIES, since=at)  # first: their alerts came in with them
    watchlists = grouped((yield from rows(STORY_WATCHLISTS, since=at)), lambda row: row[1])
    return [
        StoryRecord(row[0], row[1], codec.required(row[2]), tuple(watchlists.get(row[0], [])))
        for row in stories
    ]


def story_members(
    codec: Codec, since: datetime, story_id: str | None
) -> Steps[list[StoryMemberRecord]]:
    at = codec.time(since)
    if story_id is None:
        found = yield from rows(MEMBERS, since=at)
    else:
        found = yield from rows(MEMBERS_OF, since=at, story_id=story_id)
    return [
        StoryMemberRecord(
            row[0],
            FeedItem(row[2], row[1], row[4], row[5], url=row[3], published=codec.read_time(row[6])),
            codec.required(row[7]),
        )
        for row in found
    ]


PRUNE: dict[str, Statement] = {
    "deliveries": shared(
        "DELETE FROM outbox WHERE alert_id IN (SELECT a.id FROM alerts a"
        " WHERE a.created_at < :cutoff AND NOT EXISTS (SELECT 1 FROM outbox o"
        " WHERE o.alert_id = a.id AND o.state <> 'delivered'))"
    ),
    "alerts": shared(
        "DELETE FROM alerts WHERE created_at < :cutoff"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = alerts.id)"
    ),
    "stories": shared(
        "DELETE FROM stories WHERE created_at < :cutoff"
        " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.story_id = stories.id)"
    ),
    "items": shared("DELETE FROM items WHERE first_seen < :cutoff"),
    "seen": shared("DELETE FROM seen WHERE last_seen < :seen_cutoff"),
    "silences": shared("DELETE FROM silences WHERE ends_at < :cutoff"),
}
"""One retention pass, a step per transaction, in this order (see `Store.prune`)."""


def prune_params(
    codec: Codec, now: datetime, max_age: timedelta, seen_max_age: timedelta
) -> dict[str, Any]:
    if seen_max_age < max_age:
        raise ValueError("seen ids must be kept at least as long as items")
    return {"cutoff": codec.time(now - max_age), "seen_cutoff": codec.time(now - seen_max_age)}
