"""The outbox in SQLite: claims with leases, and the fate of each delivery."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from wirewatch.storage._codec import ts
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
from wirewatch.storage._sqlite_db import TEXT_TIMES, chunks, select_in, write
from wirewatch.storage.base import (
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    NotifierHealth,
    OutboxSummary,
)

_SELECT = (
    "SELECT o.id, o.alert_id, o.notifier, o.event, o.state, o.attempts, o.last_error,"
    " o.created_at, o.due_at, COALESCE(o.payload, a.body), o.lease_owner, o.lease_until,"
    " o.delivered_at, o.digest_id FROM outbox o JOIN alerts a ON a.id = o.alert_id"
)
_OPEN = "state IN ('pending', 'failed')"
_FREE = "lease_owner = NULL, lease_until = NULL"
_LEASE_FREE = "(lease_until IS NULL OR lease_until <= ?)"
_NOT_PAUSED = (
    "NOT EXISTS (SELECT 1 FROM notifier_health h"
    " WHERE h.notifier = outbox.notifier AND h.probe_at > ?)"
)


def _record(row: tuple[Any, ...]) -> DeliveryRecord:
    return delivery_record(row, TEXT_TIMES)


def claim(
    conn: sqlite3.Connection, now: datetime, limit: int, lease_seconds: float, owner: str
) -> list[DeliveryRecord]:
    """Lease due rows whose lease is free or expired, oldest due first."""
    at = ts(now)
    until = ts(now + timedelta(seconds=lease_seconds))
    with write(conn):
        found = conn.execute(
            f"SELECT id, digest_id FROM outbox WHERE {_OPEN} AND due_at <= ?"
            f" AND {_LEASE_FREE} AND {_NOT_PAUSED} ORDER BY due_at, id LIMIT ?",
            (at, at, at, limit),
        ).fetchall()
        ids = [row[0] for row in found]
        digests = {row[1] for row in found if row[1] is not None}
        sql = f"SELECT id FROM outbox WHERE {_OPEN} AND {_LEASE_FREE} AND digest_id IN ({{marks}})"
        ids += [row[0] for row in select_in(conn, sql, digests, (at,)) if row[0] not in ids]
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
    conn: sqlite3.Connection,
    delivery_id: str,
    due_at: datetime,
    error: str,
    attempt: int,
    digest_id: str | None,
) -> None:
    """Failed, to be tried again at `due_at`; a delivered row stays delivered."""
    with write(conn):
        conn.execute(
            "UPDATE outbox SET state = 'failed', due_at = ?, last_error = ?, attempts = ?,"
            f" digest_id = ?, {_FREE} WHERE id = ? AND state <> 'delivered'",
            (ts(due_at), error, attempt, digest_id, delivery_id),
        )


def release(conn: sqlite3.Connection, delivery_ids: Sequence[str]) -> None:
    with write(conn):
        for batch in chunks(delivery_ids):
            marks = ",".join("?" * len(batch))
            conn.execute(f"UPDATE outbox SET {_FREE} WHERE id IN ({marks})", batch)


def expire(conn: sqlite3.Connection, notifier: str, before: datetime, reason: str) -> int:
    with write(conn):
        cursor = conn.execute(
            f"UPDATE outbox SET state = 'dead', last_error = ?, {_FREE}"
            f" WHERE notifier = ? AND {_OPEN} AND created_at <= ?",
            (reason, notifier, ts(before)),
        )
        return cursor.rowcount


def save_health(conn: sqlite3.Connection, health: NotifierHealth) -> None:
    columns = ", ".join(HEALTH_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in HEALTH_COLUMNS[1:])
    with write(conn):
        conn.execute(
            f"INSERT INTO notifier_health ({columns}) VALUES ({','.join('?' * 7)})"
            f" ON CONFLICT (notifier) DO UPDATE SET {updates}",
            health_row(health, TEXT_TIMES),
        )


def list_health(conn: sqlite3.Connection) -> list[NotifierHealth]:
    sql = f"SELECT {', '.join(HEALTH_COLUMNS)} FROM notifier_health ORDER BY notifier"
    return [notifier_health(row, TEXT_TIMES) for row in conn.execute(sql)]


def summary(conn: sqlite3.Connection) -> list[OutboxSummary]:
    return [outbox_summary(row, TEXT_TIMES) for row in conn.execute(SUMMARY_SELECT)]


def postpone(conn: sqlite3.Connection, delivery_id: str, due_at: datetime, note: str) -> None:
    with write(conn):
        conn.execute(
            f"UPDATE outbox SET due_at = ?, last_error = COALESCE(last_error, ?), {_FREE}"
            " WHERE id = ? AND state IN ('pending', 'failed')",
            (ts(due_at), note, delivery_id),
        )


def dead_letter(
    conn: sqlite3.Connection, delivery_id: str, reason: str, attempts: int | None
) -> None:
    with write(conn):
        conn.execute(
            "UPDATE outbox SET state = 'dead', last_error = ?,"
            f" attempts = COALESCE(?, attempts), {_FREE} WHERE id = ? AND state <> 'delivered'",
            (reason, attempts, delivery_id),
        )


def list_rows(
    conn: sqlite3.Connection, state: DeliveryState | None, limit: int
) -> list[DeliveryRecord]:
    where, params = ("WHERE o.state = ?", [state.value]) if state else ("", [])
    rows = conn.execute(
        f"{_SELECT} {where} ORDER BY o.created_at, o.id LIMIT ?", (*params, limit)
    ).fetchall()
    return [_record(row) for row in rows]


def requeue(
    conn: sqlite3.Connection,
    now: datetime,
    ids: Sequence[str] | None,
    states: Sequence[DeliveryState],
    notifier: str | None,
) -> int:
    reset = f"state = 'pending', attempts = 0, due_at = ?, {_FREE}"
    with write(conn):
        if ids is None:
            wanted = [s.value for s in states if s in REQUEUABLE]
            where = f"state IN ({','.join('?' * len(wanted))})" if wanted else "0"
            params: list[Any] = [ts(now), *wanted]
            if notifier is not None:
                where, params = f"{where} AND notifier = ?", [*params, notifier]
            return conn.execute(f"UPDATE outbox SET {reset} WHERE {where}", params).rowcount
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
