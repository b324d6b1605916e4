"""The outbox in SQLite: claims with leases, and the fate of each delivery."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from wirewatch.storage._codec import ts
from wirewatch.storage._rows import delivery_record, delivery_status
from wirewatch.storage._sqlite_db import TEXT_TIMES, chunks, select_in, write
from wirewatch.storage.base import DeliveryRecord, DeliveryState, DeliveryStatus

_SELECT = (
    "SELECT o.id, o.alert_id, o.notifier, o.event, o.state, o.attempts, o.last_error,"
    " o.created_at, o.due_at, COALESCE(o.payload, a.body), o.lease_owner, o.lease_until,"
    " o.delivered_at FROM outbox o JOIN alerts a ON a.id = o.alert_id"
)
_OPEN = "state IN ('pending', 'failed')"
_FREE = "lease_owner = NULL, lease_until = NULL"


def _record(row: tuple[Any, ...]) -> DeliveryRecord:
    return delivery_record(row, TEXT_TIMES)


def claim(
    conn: sqlite3.Connection, now: datetime, limit: int, lease_seconds: float, owner: str
) -> list[DeliveryRecord]:
    """Lease due rows whose lease is free or expired, oldest due first."""
    at = ts(now)
    until = ts(now + timedelta(seconds=lease_seconds))
    with write(conn):
        ids = [
            row[0]
            for row in conn.execute(
                f"SELECT id FROM outbox WHERE {_OPEN} AND due_at <= ?"
                " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at, id LIMIT ?",
                (at, at, limit),
            )
        ]
        for batch in chunks(ids):
            marks = ",".join("?" * len(batch))
            conn.execute(
                f"UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})",
                (owner, until, *batch),
            )
        rows = select_in(conn, _SELECT + " WHERE o.id IN ({marks})", ids)
    return sorted((_record(row) for row in rows), key=lambda r: (r.due_at, r.id))


def mark_delivered(conn: sqlite3.Connection, delivery_id: str, now: datetime) -> None:
    with write(conn):
        conn.execute(
            f"UPDATE outbox SET state = 'delivered', delivered_at = ?, {_FREE} WHERE id = ?",
            (ts(now), delivery_id),
        )


def mark_delivered_many(
    conn: sqlite3.Connection, delivery_ids: Sequence[str], now: datetime
) -> None:
    with write(conn):
        conn.executemany(
            f"UPDATE outbox SET state = 'delivered', delivered_at = ?, {_FREE} WHERE id = ?",
            [(ts(now), delivery_id) for delivery_id in delivery_ids],
        )


def reschedule(
    conn: sqlite3.Connection, delivery_id: str, due_at: datetime, error: str, attempt: int
) -> None:
    """Failed, to be tried again at `due_at`; a delivered row stays delivered."""
    with write(conn):
        conn.execute(
            f"UPDATE outbox SET state = 'failed', due_at = ?, last_error = ?, attempts = ?, {_FREE}"
            " WHERE id = ? AND state <> 'delivered'",
            (ts(due_at), error, attempt, delivery_id),
        )


def postpone(conn: sqlite3.Connection, delivery_id: str, due_at: datetime, note: str) -> None:
    with write(conn):
        conn.execute(
            f"UPDATE outbox SET due_at = ?, last_error = COALESCE(last_error, ?), {_FREE}"
            " WHERE id = ? AND state IN ('pending', 'failed')",
            (ts(due_at), note, delivery_id),
        )


def dead_letter(conn: sqlite3.Connection, delivery_id: str, reason: str) -> None:
    with write(conn):
        conn.execute(
            f"UPDATE outbox SET state = 'dead', last_error = ?, {_FREE}"
            " WHERE id = ? AND state <> 'delivered'",
            (reason, delivery_id),
        )


def list_rows(
    conn: sqlite3.Connection, state: DeliveryState | None, limit: int
) -> list[DeliveryRecord]:
    where, params = ("WHERE o.state = ?", [state.value]) if state else ("", [])
    rows = conn.execute(
        f"{_SELECT} {where} ORDER BY o.created_at, o.id LIMIT ?", (*params, limit)
    ).fetchall()
    return [_record(row) for row in rows]


def requeue(conn: sqlite3.Connection, now: datetime, ids: Sequence[str] | None) -> int:
    reset = f"state = 'pending', attempts = 0, due_at = ?, {_FREE}"
    with write(conn):
        if ids is None:
            cursor = conn.execute(f"UPDATE outbox SET {reset} WHERE state = 'dead'", (ts(now),))
            return cursor.rowcount
        count = 0
        for batch in chunks(ids):
            marks = ",".join("?" * len(batch))
            cursor = conn.execute(
                f"UPDATE outbox SET {reset} WHERE id IN ({marks}) AND state IN ('dead', 'failed')",
                (ts(now), *batch),
            )
            count += cursor.rowcount
        return count


def depth(conn: sqlite3.Connection) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM outbox WHERE {_OPEN}").fetchone()
    return int(row[0])


def depth_by_notifier(conn: sqlite3.Connection) -> dict[str, int]:
    sql = f"SELECT notifier, COUNT(*) FROM outbox WHERE {_OPEN} GROUP BY 1"
    return {str(name): int(count) for name, count in conn.execute(sql)}


def statuses(conn: sqlite3.Connection, alert_ids: Sequence[str]) -> dict[str, list[DeliveryStatus]]:
    """The delivery state of each alert's rows, by alert id."""
    sql = (
        "SELECT alert_id, id, notifier, event, state, attempts, last_error, due_at, delivered_at"
        " FROM outbox WHERE alert_id IN ({marks}) ORDER BY created_at, id"
    )
    found: dict[str, list[DeliveryStatus]] = {}
    for row in select_in(conn, sql, alert_ids):
        found.setdefault(row[0], []).append(delivery_status(row[1:], TEXT_TIMES))
    return found
