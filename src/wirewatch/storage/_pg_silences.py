"""Silences in PostgreSQL (the rows and statements are shared, in _silence_rows)."""

from __future__ import annotations

from datetime import datetime

from wirewatch.delivery.silences import Silence
from wirewatch.storage import _silence_rows as rows
from wirewatch.storage._pg_db import NATIVE_TIMES, Conn


async def add(conn: Conn, silence: Silence) -> None:
    await conn.execute(rows.sql("insert", "%s"), rows.row(silence, NATIVE_TIMES))


async def list_all(conn: Conn, limit: int) -> list[Silence]:
    cur = await conn.execute(rows.sql("all", "%s"), (limit,))
    return [rows.silence(r, NATIVE_TIMES) for r in await cur.fetchall()]


async def active(conn: Conn, now: datetime) -> list[Silence]:
    at = NATIVE_TIMES.encode(now)
    cur = await conn.execute(rows.sql("active", "%s"), (at, at))
    return [rows.silence(r, NATIVE_TIMES) for r in await cur.fetchall()]


async def expire(conn: Conn, silence_id: str, now: datetime) -> Silence | None:
    """End the silence at `now` (unless it ended already) and return it; None if unknown."""
    at = NATIVE_TIMES.encode(now)
    await conn.execute(rows.sql("expire", "%s"), (at, silence_id, at))
    cur = await conn.execute(rows.sql("one", "%s"), (silence_id,))
    found = await cur.fetchone()
    return None if found is None else rows.silence(found, NATIVE_TIMES)
