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
from wirewatch.storage._rows import delivery_record, delivery_status
from wirewatch.storage.base import DeliveryRecord, DeliveryState, DeliveryStatus

_FIELDS = (
    "o.id, o.alert_id, o.notifier, o.event, o.state, o.attempts, o.last_error, o.created_at,"
    " o.due_at, COALESCE(o.payload, a.body)::text, o.lease_owner, o.lease_until, o.delivered_at"
)
_SELECT = f"SELECT {_FIELDS} FROM outbox o JOIN alerts a ON a.id = o.alert_id"
_OPEN = "state IN ('pending', 'failed')"
_FREE = "lease_owner = NULL, lease_until = NULL"
_CLAIM = f"""
WITH due AS (
    SELECT id FROM outbox
    WHERE {_OPEN} AND due_at <= %(now)s AND (lease_until IS NULL OR lease_until <= %(now)s)
    ORDER BY due_at, id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET lease_owner = %(owner)s, lease_until = %(until)s
FROM due, alerts a WHERE o.id = due.id AND a.id = o.alert_id
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
    conn: Conn, delivery_id: str, due_at: datetime, error: str, attempt: int
) -> None:
    """Failed, to be tried again at `due_at`; a delivered row stays delivered."""
    await conn.execute(
        f"UPDATE outbox SET state = 'failed', due_at = %s, last_error = %s, attempts = %s,"
        f" {_FREE} WHERE id = %s AND state <> 'delivered'",
        (at(due_at), error, attempt, delivery_id),
    )


async def postpone(conn: Conn, delivery_id: str, due_at: datetime, note: str) -> None:
    await conn.execute(
        f"UPDATE outbox SET due_at = %s, last_error = COALESCE(last_error, %s), {_FREE}"
        " WHERE id = %s AND state IN ('pending', 'failed')",
        (at(due_at), note, delivery_id),
    )


async def dead_letter(conn: Conn, delivery_id: str, reason: str) -> None:
    await conn.execute(
        f"UPDATE outbox SET state = 'dead', last_error = %s, {_FREE}"
        " WHERE id = %s AND state <> 'delivered'",
        (reason, delivery_id),
    )


async def list_rows(conn: Conn, state: DeliveryState | None, limit: int) -> list[DeliveryRecord]:
    where, params = ("WHERE o.state = %s", [state.value]) if state else ("", [])
    cur = await conn.execute(
        f"{_SELECT} {where} ORDER BY o.created_at, o.id LIMIT %s", (*params, limit)
    )
    return [_record(row) for row in await cur.fetchall()]


async def requeue(conn: Conn, now: datetime, ids: Sequence[str] | None) -> int:
    reset = f"state = 'pending', attempts = 0, due_at = %s, {_FREE}"
    if ids is None:
        cur = await conn.execute(f"UPDATE outbox SET {reset} WHERE state = 'dead'", (at(now),))
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
