"""Rows <-> records, written once for every store; each store passes how it writes times.

SQLite keeps times as sortable UTC text, PostgreSQL as `timestamptz`: a `Times` pair converts
between those and aware datetimes, and everything else about a row is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from wirewatch.model import AlertEvent
from wirewatch.storage._codec import alert_from_json, delta_or_none, seconds_or_none
from wirewatch.storage.base import (
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    FeedState,
    FeedStatus,
    NotifierHealth,
    OutboxSummary,
)


@dataclass(frozen=True, slots=True)
class Times:
    """How a store writes (`encode`) and reads back (`decode`) an optional aware datetime."""

    encode: Callable[[datetime | None], Any]
    decode: Callable[[Any], datetime | None]

    def required(self, value: Any) -> datetime:
        decoded = self.decode(value)
        if decoded is None:
            raise ValueError("a required time column is NULL")
        return decoded


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


def feed_row(state: FeedState, times: Times) -> tuple[Any, ...]:
    """`state` as the values of FEED_COLUMNS."""
    return (
        state.key,
        state.status.value,
        state.etag,
        state.last_modified,
        state.http_status,
        state.consecutive_failures,
        state.last_error,
        times.encode(state.last_success),
        times.encode(state.next_due),
        times.encode(state.first_polled),
        times.encode(state.last_new_item),
        seconds_or_none(state.publish_interval),
    )


def feed_state(row: Any, times: Times) -> FeedState:
    """A row of FEED_COLUMNS as a FeedState."""
    return FeedState(
        key=row[0],
        status=FeedStatus(row[1]),
        etag=row[2],
        last_modified=row[3],
        http_status=row[4],
        consecutive_failures=row[5],
        last_error=row[6],
        last_success=times.decode(row[7]),
        next_due=times.decode(row[8]),
        first_polled=times.decode(row[9]),
        last_new_item=times.decode(row[10]),
        publish_interval=delta_or_none(row[11]),
    )


def delivery_record(row: Any, times: Times) -> DeliveryRecord:
    """A row of an outbox select (id, alert_id, notifier, event, state, attempts, last_error,
    created_at, due_at, alert body, lease_owner, lease_until, delivered_at, digest_id)."""
    return DeliveryRecord(
        id=row[0],
        alert_id=row[1],
        notifier=row[2],
        event=cast(AlertEvent, row[3]),
        state=DeliveryState(row[4]),
        attempts=row[5],
        last_error=row[6],
        created_at=times.required(row[7]),
        due_at=times.required(row[8]),
        alert=alert_from_json(row[9]),
        lease_owner=row[10],
        lease_until=times.decode(row[11]),
        delivered_at=times.decode(row[12]),
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


def health_row(health: NotifierHealth, times: Times) -> tuple[Any, ...]:
    """`health` as the values of HEALTH_COLUMNS."""
    return (
        health.notifier,
        health.failing,
        health.failures,
        health.last_error,
        times.encode(health.failing_since),
        times.encode(health.probe_at),
        times.encode(health.updated_at),
    )


def notifier_health(row: Any, times: Times) -> NotifierHealth:
    """A row of HEALTH_COLUMNS as a NotifierHealth."""
    return NotifierHealth(
        notifier=row[0],
        failing=bool(row[1]),
        failures=row[2],
        last_error=row[3],
        failing_since=times.decode(row[4]),
        probe_at=times.decode(row[5]),
        updated_at=times.required(row[6]),
    )


SUMMARY_SELECT = (
    "SELECT notifier,"
    " SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END),"
    " MIN(CASE WHEN state IN ('pending', 'failed') THEN created_at END)"
    " FROM outbox GROUP BY notifier ORDER BY notifier"
)
"""Both dialects: one row per notifier (see `outbox_summary`)."""


def outbox_summary(row: Any, times: Times) -> OutboxSummary:
    """A row of SUMMARY_SELECT as an OutboxSummary."""
    return OutboxSummary(
        notifier=row[0],
        pending=int(row[1] or 0),
        failed=int(row[2] or 0),
        dead=int(row[3] or 0),
        delivered=int(row[4] or 0),
        oldest_open=times.decode(row[5]),
    )


def delivery_status(row: Any, times: Times) -> DeliveryStatus:
    """A row of (id, notifier, event, state, attempts, last_error, due_at, delivered_at)."""
    return DeliveryStatus(
        id=row[0],
        notifier=row[1],
        event=cast(AlertEvent, row[2]),
        state=DeliveryState(row[3]),
        attempts=row[4],
        last_error=row[5],
        due_at=times.required(row[6]),
        delivered_at=times.decode(row[7]),
    )
