"""Silences in SQLite (the rows and statements are shared, in _silence_rows)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from wirewatch.delivery.silences import Silence
from wirewatch.storage import _silence_rows as rows
from wirewatch.storage._sqlite_db import TEXT_TIMES, write


def add(conn: sqlite3.Connection, silence: Silence) -> None:
    with write(conn):
        conn.execute(rows.sql("insert", "?"), rows.row(silence, TEXT_TIMES))


def list_all(conn: sqlite3.Connection, limit: int) -> list[Silence]:
    found = conn.execute(rows.sql("all", "?"), (limit,)).fetchall()
    return [rows.silence(r, TEXT_TIMES) for r in found]


def active(conn: sqlite3.Connection, now: datetime) -> list[Silence]:
    at = TEXT_TIMES.encode(now)
    found = conn.execute(rows.sql("active", "?"), (at, at)).fetchall()
    return [rows.silence(r, TEXT_TIMES) for r in found]


def expire(conn: sqlite3.Connection, silence_id: str, now: datetime) -> Silence | None:
    at = TEXT_TIMES.encode(now)
    with write(conn):
        conn.execute(rows.sql("expire", "?"), (at, silence_id, at))
        found = conn.execute(rows.sql("one", "?"), (silence_id,)).fetchone()
    return None if found is None else rows.silence(found, TEXT_TIMES)
