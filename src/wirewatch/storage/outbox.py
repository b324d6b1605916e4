"""The outbox: the fate of each delivery, and notifier health, for both dialects.

Claiming differs (`Dialect.claim`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, a write
transaction on SQLite); what a claim returns and everything after it is written here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from wirewatch.storage._rows import (
    HEALTH_COLUMNS,
    REQUEUABLE,
    delivery_record,
    delivery_status,
    grouped,
    health_params,
    notifier_health,
    outbox_summary,
)
from wirewatch.storage.codec import Codec
from wirewatch.storage.records import (
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    NotifierHealth,
    OutboxSummary,
)
from wirewatch.storage.sql import Dialect, Steps, count, one, rows, shared

FIELDS = (
    "o.id, o.alert_id, o.notifier, o.event, o.state, o.attempts, o.last_error, o.created_at,"
    " o.due_at, COALESCE(o.payload, a.body), o.lease_owner, o.lease_until, o.delivered_at,"
    " o.digest_id"
)
"""What `delivery_record` reads, from `outbox o` joined with `alerts a`."""
OPEN = "state IN ('pending', 'failed')"
LEASE_FREE = "(lease_until IS NULL OR lease_until <= :now)"
NOT_PAUSED = (
    "NOT EXISTS (SELECT 1 FROM notifier_health h"
    " WHERE h.notifier = outbox.notifier AND h.probe_at > :now)"
)
_FREE = "lease_owner = NULL, lease_until = NULL"
_SELECT = f"SELECT {FIELDS} FROM outbox o JOIN alerts a ON a.id = o.alert_id"
_DELIVERED = f"UPDATE outbox SET state = 'delivered', delivered_at = :now, {_FREE}"
_RESET = f"UPDATE outbox SET state = 'pending', attempts = 0, due_at = :now, {_FREE}"
_STATES = "state IN (:states)"

DELIVERED = shared(f"{_DELIVERED} WHERE id = :id")
DELIVERED_MANY = shared(f"{_DELIVERED} WHERE id IN (:ids)", expand="ids")
RESCHEDULE = shared(
    "UPDATE outbox SET state = 'failed', due_at = :due_at, last_error = :error,"
    f" attempts = :attempt, digest_id = :digest_id, {_FREE}"
    " WHERE id = :id AND state <> 'delivered'"
)
RELEASE = shared(f"UPDATE outbox SET {_FREE} WHERE id IN (:ids)", expand="ids")
EXPIRE = shared(
    f"UPDATE outbox SET state = 'dead', last_error = :reason, {_FREE}"
    f" WHERE notifier = :notifier AND {OPEN} AND created_at <= :before"
)
SAVE_HEALTH = shared(
    f"INSERT INTO notifier_health ({', '.join(HEALTH_COLUMNS)})"
    f" VALUES ({', '.join(f':{c}' for c in HEALTH_COLUMNS)}) ON CONFLICT (notifier) DO UPDATE"
    f" SET {', '.join(f'{c} = excluded.{c}' for c in HEALTH_COLUMNS[1:])}"
)
HEALTH = shared(f"SELECT {', '.join(HEALTH_COLUMNS)} FROM notifier_health ORDER BY notifier")
SUMMARY = shared(
    "SELECT notifier,"
    " SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END),"
    " MIN(CASE WHEN state IN ('pending', 'failed') THEN created_at END)"
    " FROM outbox GROUP BY notifier ORDER BY notifier"
)
POSTPONE = shared(
    f"UPDATE outbox SET due_at = :due_at, last_error = COALESCE(last_error, :note), {_FREE}"
    f" WHERE id = :id AND {OPEN}"
)
DEAD_LETTER = shared(
    "UPDATE outbox SET state = 'dead', last_error = :reason,"
    f" attempts = COALESCE(:attempts, attempts), {_FREE} WHERE id = :id AND state <> 'delivered'"
)
LIST = shared(f"{_SELECT} ORDER BY o.created_at, o.id LIMIT :limit")
LIST_STATE = shared(f"{_SELECT} WHERE o.state = :state ORDER BY o.created_at, o.id LIMIT :limit")
REQUEUE_IDS = shared(f"{_RESET} WHERE id IN (:ids) AND state IN ('dead', 'failed')", expand="ids")
REQUEUE_STATES = shared(f"{_RESET} WHERE {_STATES}", expand="states")
REQUEUE_STATES_OF = shared(f"{_RESET} WHERE {_STATES} AND notifier = :notifier", expand="states")
DEPTH = shared(f"SELECT COUNT(*) FROM outbox WHERE {OPEN}")
DEPTH_BY_NOTIFIER = shared(f"SELECT notifier, COUNT(*) FROM outbox WHERE {OPEN} GROUP BY 1")
STATUSES = shared(
    "SELECT alert_id, id, notifier, event, state, attempts, last_error, due_at, delivered_at"
    " FROM outbox WHERE alert_id IN (:ids) ORDER BY created_at, id",
    expand="ids",
)


def claim(
    dialect: Dialect, now: datetime, limit: int, lease_seconds: float, owner: str
) -> Steps[list[DeliveryRecord]]:
    """Lease due rows whose lease is free or expired, oldest due first."""
    found = yield from dialect.claim(now, limit, lease_seconds, owner)
    records = (delivery_record(row, dialect.codec) for row in found)
    return sorted(records, key=lambda r: (r.due_at, r.id))


def mark_delivered(codec: Codec, delivery_id: str, now: datetime) -> Steps[None]:
    yield from count(DELIVERED, now=codec.time(now), id=delivery_id)


def mark_delivered_many(codec: Codec, delivery_ids: Sequence[str], now: datetime) -> Steps[None]:
    yield from count(DELIVERED_MANY, now=codec.time(now), ids=delivery_ids)


def reschedule(
    codec: Codec,
    delivery_id: str,
    due_at: datetime,
    error: str,
    attempt: int,
    digest_id: str | None,
) -> Steps[None]:
    """Failed, to be tried again at `due_at`; a delivered row stays delivered."""
    yield from count(
        RESCHEDULE,
        due_at=codec.time(due_at),
        error=error,
        attempt=attempt,
        digest_id=digest_id,
        id=delivery_id,
    )


def release(delivery_ids: Sequence[str]) -> Steps[None]:
    yield from count(RELEASE, ids=delivery_ids)


def expire(codec: Codec, notifier: str, before: datetime, reason: str) -> Steps[int]:
    return (yield from count(EXPIRE, reason=reason, notifier=notifier, before=codec.time(before)))


def save_health(codec: Codec, health: NotifierHealth) -> Steps[None]:
    yield from count(SAVE_HEALTH, **health_params(health, codec))


def list_health(codec: Codec) -> Steps[list[NotifierHealth]]:
    return [notifier_health(row, codec) for row in (yield from rows(HEALTH))]


def summary(codec: Codec) -> Steps[list[OutboxSummary]]:
    return [outbox_summary(row, codec) for row in (yield from rows(SUMMARY))]


def postpone(codec: Codec, delivery_id: str, due_at: datetime, note: str) -> Steps[None]:
    yield from count(POSTPONE, due_at=codec.time(due_at), note=note, id=delivery_id)


def dead_letter(delivery_id: str, reason: str, attempts: int | None) -> Steps[None]:
    yield from count(DEAD_LETTER, reason=reason, attempts=attempts, id=delivery_id)


def list_rows(codec: Codec, state: DeliveryState | None, limit: int) -> Steps[list[DeliveryRecord]]:
    if state is None:
        found = yield from rows(LIST, limit=limit)
    else:
        found = yield from rows(LIST_STATE, state=state.value, limit=limit)
    return [delivery_record(row, codec) for row in found]


def requeue(
    codec: Codec,
    now: datetime,
    ids: Sequence[str] | None,
    states: Sequence[DeliveryState],
    notifier: str | None,
) -> Steps[int]:
    at = codec.time(now)
    if ids is not None:
        return (yield from count(REQUEUE_IDS, now=at, ids=ids))
    wanted = [s.value for s in states if s in REQUEUABLE]
    if notifier is None:
        return (yield from count(REQUEUE_STATES, now=at, states=wanted))
    return (yield from count(REQUEUE_STATES_OF, now=at, states=wanted, notifier=notifier))


def depth() -> Steps[int]:
    row = yield from one(DEPTH)
    return int(row[0]) if row else 0


def depth_by_notifier() -> Steps[dict[str, int]]:
    return {str(name): int(n) for name, n in (yield from rows(DEPTH_BY_NOTIFIER))}


def statuses(codec: Codec, alert_ids: Sequence[str]) -> Steps[dict[str, list[DeliveryStatus]]]:
    """The delivery state of each alert's rows, by alert id."""
    found = yield from rows(STATUSES, ids=alert_ids)
    return grouped(found, lambda row: delivery_status(row[1:], codec))
