"""PostgreSQL plumbing: UTC times, advisory lock keys, migrations.

Lock keys: the one-number form of `pg_advisory_lock` holds the store-wide locks (migrations,
story decisions); the two-number form, a key space of its own, holds an ingest's locks on one
feed, on the canonical URLs it may call new and on the stories it touches. Those are hashed
into buckets so one transaction never holds more than a few thousand locks; a collision only
makes two ingests wait for each other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from wirewatch.storage._rows import Times

Conn = AsyncConnection[TupleRow]

MIGRATE_LOCK = 0x7772_7700_0000_0001
STORY_LOCK = 0x7772_7700_0000_0002
FEED_SPACE, URL_SPACE, STORY_SPACE = 1, 2, 3
BUCKETS = 1024
"""Lock buckets per key space for URLs and stories (feeds get the whole 32 bits)."""

LOCK_HOLDER = """
SELECT l.pid, host(a.client_addr), a.state, EXTRACT(EPOCH FROM now() - a.state_change)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid = %s::oid AND l.objid = %s::oid
"""
"""Who holds a one-number advisory lock (its halves from `lock_parts`), and since when idle."""


def lock_parts(key: int) -> tuple[int, int]:
    """A one-number advisory lock key as pg_locks shows it: (classid, objid)."""
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


_MIGRATION_NAME = re.compile(r"^(\d{4})_\w+\.sql$")


def at(value: datetime) -> datetime:
    """A UTC-aware datetime for a query; naive datetimes are a programming error."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime given to the store: {value!r}")
    return value.astimezone(UTC)


def at_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else at(value)


def utc(value: datetime) -> datetime:
    """A timestamptz read back, in UTC whatever the session's time zone."""
    return value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _hash32(text: str) -> int:
    """A stable signed 32-bit hash (PostgreSQL's int4)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=4).digest(), "big", signed=True
    )


def lock_keys(
    feed: str, urls: Iterable[str] = (), stories: Iterable[str] = ()
) -> list[tuple[int, int]]:
    """The (space, key) pairs an ingest locks, sorted, so that ingests never deadlock."""
    keys = {(URL_SPACE, _hash32(u) % BUCKETS) for u in urls if u}
    keys |= {(STORY_SPACE, _hash32(s) % BUCKETS) for s in stories}
    return sorted(keys)


async def lock_feed(conn: Conn, feed: str) -> None:
    """Serialise ingests of one feed until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (FEED_SPACE, _hash32(feed)))


async def lock_all(conn: Conn, keys: list[tuple[int, int]]) -> None:
    """Take transaction locks in the order given (sorted, see `lock_keys`)."""
    if not keys:
        return
    await conn.execute(
        "SELECT pg_advisory_xact_lock(s, k) FROM unnest(%s::int4[], %s::int4[]) AS t(s, k)",
        ([s for s, _ in keys], [k for _, k in keys]),
    )


def migrations() -> list[tuple[int, str]]:
    """The packaged PostgreSQL migrations as (version, SQL), in order."""
    folder = resources.files("wirewatch.storage").joinpath("migrations", "postgres")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max(version for version, _ in migrations())


async def current_version(conn: Conn) -> int:
    """The schema version of the database; 0 before the first migration. Read-only."""
    cur = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return 0
    cur = await conn.execute("SELECT MAX(version) FROM schema_version")
    row = await cur.fetchone()
    return int(row[0] or 0) if row else 0


async def migrate(conn: Conn) -> int:
    """Apply every pending migration in the current transaction, under an advisory lock held
    to its end, so instances starting together apply each migration once."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version integer PRIMARY KEY,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    version = await current_version(conn)
    for number, sql in migrations():
        if number > version:
            await conn.execute(sql.encode())  # several statements: no parameters
            await conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
            version = number
    return version


def display(url: str) -> str:
    """Where the database is, for error text: host, port and name, never a password."""
    try:
        fields = conninfo_to_dict(url)
    except psycopg.Error:
        return "PostgreSQL (unreadable URL)"
    host, port = fields.get("host") or "localhost", fields.get("port") or "5432"
    return f"PostgreSQL {host}:{port}/{fields.get('dbname') or ''}"


NATIVE_TIMES = Times(at_or_none, utc_or_none)
"""PostgreSQL keeps times as timestamptz."""
