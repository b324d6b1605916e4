"""Rows <-> records, written once for every store; each store passes its `Codec`.

Parameters are built as mappings of `:name` values, rows are read by position.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from wirewatch.delivery.silences import Silence, decode_matchers, encode_matchers
from wirewatch.model import FeedItem, Source
from wirewatch.storage.base import (
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    Event,
    FeedState,
    FeedStatus,
    NotifierHealth,
    OutboxSummary,
)
from wirewatch.storage.codec import Codec, alert_from_json, delta_or_none, seconds_or_none

V = TypeVar("V")


def grouped(found: Iterable[Any], value: Callable[[Any], V]) -> dict[str, list[V]]:
    """Rows grouped by their first column, each as `value(row)`, in the order given."""
    groups: dict[str, list[V]] = {}
    for row in found:
        groups.setdefault(row[0], []).append(value(row))
    return groups


FEED_POLLER = (
    "status",
    "etag",
    "last_modified",
    "http_status",
    "consecutive_failures",
    "last_error",
    "last_success",
    "next_due",
)
FEED_STORE = ("first_polled", "last_new_item", "publish_interval_s")
FEED_COLUMNS = ("key", *FEED_POLLER, *FEED_STORE)
RECENT_ITEMS = 21
"""How many recent items estimate a feed's publishing interval."""


def feed_params(state: FeedState, codec: Codec) -> dict[str, Any]:
    """`state` as the parameters named by FEED_COLUMNS."""
    return {
        "key": state.key,
        "status": state.status.value,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "http_status": state.http_status,
        "consecutive_failures": state.consecutive_failures,
        "last_error": state.last_error,
        "last_success": codec.time(state.last_success),
        "next_due": codec.time(state.next_due),
        "first_polled": codec.time(state.first_polled),
        "last_new_item": codec.time(state.last_new_item),
        "publish_interval_s": seconds_or_none(state.publish_interval),
    }


def feed_state(row: Any, codec: Codec) -> FeedState:
    """A row of FEED_COLUMNS as a FeedState."""
    return FeedState(
        key=row[0],
        status=FeedStatus(row[1]),
        etag=row[2],
        last_modified=row[3],
        http_status=row[4],
        consecutive_failures=row[5],
        last_error=row[6],
        last_success=codec.read_time(row[7]),
        next_due=codec.read_time(row[8]),
        first_polled=codec.read_time(row[9]),
        last_new_item=codec.read_time(row[10]),
        publish_interval=delta_or_none(row[11]),
    )


def delivery_record(row: Any, codec: Codec) -> DeliveryRecord:
    """A row of an outbox select (id, alert_id, notifier, event, state, attempts, last_error,
    created_at, due_at, alert body, lease_owner, lease_until, delivered_at, digest_id)."""
    return DeliveryRecord(
        id=row[0],
        alert_id=row[1],
        notifier=row[2],
        event=cast(Event, row[3]),
        state=DeliveryState(row[4]),
        attempts=row[5],
        last_error=row[6],
        created_at=codec.required(row[7]),
        due_at=codec.required(row[8]),
        alert=alert_from_json(row[9]),
        lease_owner=row[10],
        lease_until=codec.read_time(row[11]),
        delivered_at=codec.read_time(row[12]),
        digest_id=row[13],
    )


REQUEUABLE = frozenset({DeliveryState.DEAD, DeliveryState.FAILED})
"""The states `requeue` takes rows from."""

HEALTH_COLUMNS = (
    "notifier",
    "failing",
    "failures",
    "last_error",
    "failing_since",
    "probe_at",
    "updated_at",
)


def health_params(health: NotifierHealth, codec: Codec) -> dict[str, Any]:
    """`health` as the parameters named by HEALTH_COLUMNS."""
    return {
        "notifier": health.notifier,
        "failing": health.failing,
        "failures": health.failures,
        "last_error": health.last_error,
        "failing_since": codec.time(health.failing_since),
        "probe_at": codec.time(health.probe_at),
        "updated_at": codec.time(health.updated_at),
    }


def notifier_health(row: Any, codec: Codec) -> NotifierHealth:
    """A row of HEALTH_COLUMNS as a NotifierHealth."""
    return NotifierHealth(
        notifier=row[0],
        failing=bool(row[1]),
        failures=row[2],
        last_error=row[3],
        failing_since=codec.read_time(row[4]),
        probe_at=codec.read_time(row[5]),
        updated_at=codec.required(row[6]),
    )


def outbox_summary(row: Any, codec: Codec) -> OutboxSummary:
    """A row of the outbox summary (notifier, four counts by state, oldest open) as a record."""
    return OutboxSummary(
        notifier=row[0],
        pending=int(row[1] or 0),
        failed=int(row[2] or 0),
        dead=int(row[3] or 0),
        delivered=int(row[4] or 0),
        oldest_open=codec.read_time(row[5]),
    )


def delivery_status(row: Any, codec: Codec) -> DeliveryStatus:
    """A row of (id, notifier, event, state, attempts, last_error, due_at, delivered_at)."""
    return DeliveryStatus(
        id=row[0],
        notifier=row[1],
        event=cast(Event, row[2]),
        state=DeliveryState(row[3]),
        attempts=row[4],
        last_error=row[5],
        due_at=codec.required(row[6]),
        delivered_at=codec.read_time(row[7]),
    )


def item_params(item: FeedItem, now: Any, codec: Codec) -> dict[str, Any]:
    """An item row's parameters; `now` (encoded) is its first_seen and updated_at."""
    return {
        "feed": item.feed,
        "item_id": item.id,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "content": item.content,
        "published": codec.time(item.published),
        "authors": codec.array(item.authors),
        "tags": codec.array(item.tags),
        "language": item.language,
        "now": now,
    }


def stored_item(row: Any, codec: Codec) -> FeedItem:
    """A row of (feed, item_id, url, title, summary, content, published, authors, tags,
    language) as a FeedItem."""
    return FeedItem(
        id=row[1],
        feed=row[0],
        url=row[2],
        title=row[3],
        summary=row[4],
        content=row[5],
        published=codec.read_time(row[6]),
        authors=codec.read_array(row[7]),
        tags=codec.read_array(row[8]),
        language=row[9],
    )


def source(row: Any, codec: Codec) -> Source:
    """A row of (feed, item_id, title, url, published, seen_at) as a Source."""
    return Source(row[0], row[1], row[2], row[3], codec.read_time(row[4]), codec.required(row[5]))


SILENCE_COLUMNS = ("id", "matchers", "starts_at", "ends_at", "created_at", "comment", "author")


def silence_params(silence: Silence, codec: Codec) -> dict[str, Any]:
    return {
        "id": silence.id,
        "matchers": json.dumps(encode_matchers(silence.matchers), ensure_ascii=False),
        "starts_at": codec.time(silence.starts_at),
        "ends_at": codec.time(silence.ends_at),
        "created_at": codec.time(silence.created_at),
        "comment": silence.comment,
        "author": silence.author,
    }


def silence(row: Any, codec: Codec) -> Silence:
    """A row of SILENCE_COLUMNS as a Silence."""
    id_, matchers, starts_at, ends_at, created_at, comment, author = row
    return Silence(
        id=id_,
        matchers=decode_matchers(json.loads(matchers)),
        starts_at=codec.required(starts_at),
        ends_at=codec.required(ends_at),
        created_at=codec.required(created_at),
        comment=comment,
        author=author,
    )
