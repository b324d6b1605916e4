"""The outbox in PostgreSQL: claims with `FOR UPDATE SKIP LOCKED` and leases, and the fate of
each delivery.

A claim locks due rows whose lease is free or expired, skipping rows another claimer is
locking at that moment, and leases them to its owner in the same statement: no row is leased
to two owners at once, and a row leased by an instance that died is claimable again, under the
same id, once its lease ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from wirewatch.storage._pg_db import NATIVE_TIMES, Conn, at
from wirewatch.storage._rows import (
    HEALTH_COLUMNS,
    REQUEUABLE,
    SUMMARY_SELECT,
    delivery_record,
    delivery_status,
    health_row,
    notifier_health,
    outbox_summary,
)
from wirewatch.storage.base import (
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    NotifierHealth,
    OutboxSummary,
)

_FIELDS = (
    "o.id, o.alert_id, o.notifier, o.event, o.state, o.attempts, o.last_error, o.created_at,"
    " o.due_at, COALESCE(o.payload, a.body)::text, o.lease_owner, o.lease_until, o.delivered_at,"
    " o.digest_id"
)
_SELECT = f"SELECT {_FIELDS} FROM outbox o JOIN alerts a ON a.id = o.alert_id"
_OPEN = "state IN ('pending', 'failed')"
_FREE = "lease_owner = NULL, lease_until = NULL"
_LEASE_FREE = "(lease_until IS NULL OR lease_until <= %(now)s)"
_CLAIM = f"""
WITH due AS (
    SELECT id, digest_id FROM outbox
    WHERE {_OPEN} AND due_at <= %(now)s AND {_LEASE_FREE}
      AND NOT EXISTS (SELECT 1 FROM notifier_health h
                      WHERE h.notifier = outbox.notifier AND h.probe_at > %(now)s)
    ORDER BY due_at, id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), fellows AS (
    SELECT id FROM outbox
    WHERE {_OPEN} AND {_LEASE_FREE}
      AND digest_id IN (SELECT digest_id FROM due WHERE digest_id IS NOT NULL)
      AND id NOT IN (SELECT id FROM due)
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET lease_owner = %(owner)s, lease_until = %(until)s
FROM (SELECT id FROM due UNION SELECT id FROM fellows) picked, alerts a
WHERE o.id = picked.id AND a.id = o.alert_id
RETURNING {_FIELDS}
"""


def _record(row: tuple[Any, ...]) -> DeliveryRecord:
    return delivery_record(row, NATIVE_TIMES)


async def claim(
    conn: Conn, now: datetime, limit: int, lease_seconds: float, owner: str
) -> list[DeliveryRecord]:
    """Lease due rows whose lease is free or expired, oldest due first."""
    until = at(now) + timedelta(seconds=lease_seconds)
    cur = await conn.execute(
        _CLAIM, {"now": at(now), "limit": limit, "owner": owner, "until": until}
    )
    records = [_record(row) for row in await cur.fetchall()]
    return sorted(records, key=lambda r: (r.due_at, r.id))


async def mark_delivered(conn: Conn, delivery_id: str, now: datetime) -> None:
    await conn.execute(
        f"UPDATE outbox SET state = 'delivered', delivered_at = %s, {_FREE} WHERE id = %s",
        (at(now), delivery_id),
    )


async def mark_delivered_many(conn: Conn, delivery_ids: Sequence[str], now: datetime) -> None:
    await conn.execute(  # one statement: atomic by itself
        f"UPDATE outbox SET state = 'delivered', delivered_at = %s, {_FREE} WHERE id = ANY(%s)",
        (at(now), list(delivery_ids)),
    )


async def reschedule(
    conn: Conn, delivery_id: str, due_at: datetime, error: str, attempt: int, digest_id: str | None
) -> None:
    """Failed, to be tried again at `due_at`; a delivered row stays delivered."""
    await conn.execute(
        f"UPDATE outbox SET state = 'failed', due_at = %s, last_error = %s, attempts = %s,"
        f" digest_id = %s, {_FREE} WHERE id = %s AND state <> 'delivered'",
        (at(due_at), error, attempt, digest_id, delivery_id),
    )


async def release(conn: Conn, delivery_ids: Sequence[str]) -> None:
    await conn.execute(f"UPDATE outbox SET {_FREE} WHERE id = ANY(%s)", (list(delivery_ids),))


async def expire(conn: Conn, notifier: str, before: datetime, reason: str) -> int:
    cur = await conn.execute(
        f"UPDATE outbox SET state = 'dead', last_error = %s, {_FREE}"
        f" WHERE notifier = %s AND {_OPEN} AND created_at <= %s",
        (reason, notifier, at(before)),
    )
    return cur.rowcount


async def save_health(conn: Conn, health: NotifierHealth) -> None:
    columns = ", ".join(HEALTH_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in HEALTH_COLUMNS[1:])
    await conn.execute(
        f"INSERT INTO notifier_health ({columns}) VALUES ({', '.join(['%s'] * 7)})"
        f" ON CONFLICT (notifier) DO UPDATE SET {updates}",
        health_row(health, NATIVE_TIMES),
    )


async def list_health(conn: Conn) -> list[NotifierHealth]:
    cur = await conn.execute(
        f"SELECT {', '.join(HEALTH_COLUMNS)} FROM notifier_health ORDER BY notifier"
    )
    return [notifier_health(row, NATIVE_TIMES) for row in await cur.fetchall()]


async def summary(conn: Conn) -> list[OutboxSummary]:
    cur = await conn.execute(SUMMARY_SELECT)
    return [outbox_summary(row, NATIVE_TIMES) for row in await cur.fetchall()]


async def postpone(conn: Conn, delivery_id: str, due_at: datetime, note: str) -> None:
    await conn.execute(
        f"UPDATE outbox SET due_at = %s, last_error = COALESCE(last_error, %s), {_FREE}"
        " WHERE id = %s AND state IN ('pending', 'failed')",
        (at(due_at), note, delivery_id),
    )


async def dead_letter(conn: Conn, delivery_id: str, reason: str, attempts: int | None) -> None:
    await conn.execute(
        "UPDATE outbox SET state = 'dead', last_error = %s,"
        f" attempts = COALESCE(%s, attempts), {_FREE} WHERE id = %s AND state <> 'delivered'",
        (reason, attempts, delivery_id),
    )


async def list_rows(conn: Conn, state: DeliveryState | None, limit: int) -> list[DeliveryRecord]:
    where, params = ("WHERE o.state = %s", [state.value]) if state else ("", [])
    cur = await conn.execute(
        f"{_SELECT} {where} ORDER BY o.created_at, o.id LIMIT %s", (*params, limit)
    )
    return [_record(row) for row in await cur.fetchall()]


async def requeue(
    conn: Conn,
    now: datetime,
    ids: Sequence[str] | None,
    states: Sequence[DeliveryState],
    notifier: str | None,
) -> int:
    reset = f"state = 'pending', attempts = 0, due_at = %s, {_FREE}"
    if ids is None:
        wanted = [s.value for s in states if s in REQUEUABLE]
        cur = await conn.execute(
            f"UPDATE outbox SET {reset} WHERE state = ANY(%s)"
            " AND (%s::text IS NULL OR notifier = %s)",
            (at(now), wanted, notifier, notifier),
        )
    else:
        cur = await conn.execute(
            f"UPDATE outbox SET {reset} WHERE id = ANY(%s) AND state IN ('dead', 'failed')",
            (at(now), list(ids)),
        )
    return cur.rowcount


async def depth(conn: Conn) -> int:
    cur = await conn.execute(f"SELECT COUNT(*) FROM outbox WHERE {_OPEN}")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def depth_by_notifier(conn: Conn) -> dict[str, int]:
    cur = await conn.execute(f"SELECT notifier, COUNT(*) FROM outbox WHERE {_OPEN} GROUP BY 1")
    return {str(name): int(count) for name, count in await cur.fetchall()}


async def statuses(conn: Conn, alert_ids: Sequence[str]) -> dict[str, list[DeliveryStatus]]:
    """The delivery state of each alert's rows, by alert id."""
    cur = await conn.execute(
        "SELECT alert_id, id, notifier, event, state, attempts, last_error, due_at, delivered_at"
        " FROM outbox WHERE alert_id = ANY(%s) ORDER BY created_at, id",
        (list(alert_ids),),
    )
    found: dict[str, list[DeliveryStatus]] = {}
    for row in await cur.fetchall():
        found.setdefault(row[0], []).append(delivery_status(row[1:], NATIVE_TIMES))
    return found
