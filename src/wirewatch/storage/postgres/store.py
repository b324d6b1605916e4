"""The PostgreSQL store: several wirewatch instances sharing one database.

Each call borrows a connection of its own from a small pool (psycopg 3, async), so concurrent
calls never share a transaction: an ingest or a migration runs as one transaction, every other
call is a single statement (atomic by itself) or plain reads in autocommit mode, one round trip
each (plus the pool's liveness check of the connection, so a connection the server dropped
is replaced rather than failing a call). `psycopg.Error` becomes `StoreError` at this edge.

What instances must not do twice is decided by the database:

- feed polls: `claim_feed` is one upsert on `feed_leases` that only succeeds while the lease is
  free, expired or the caller's own;
- deliveries: claimed with `SELECT ... FOR UPDATE SKIP LOCKED` and a lease (owner, until);
- alerts, outbox rows, items and seen ids: natural unique keys and `ON CONFLICT DO NOTHING`,
  behind advisory locks that serialise ingests touching the same feed, URL or story;
- story decisions: `story_lock` holds a session advisory lock on a connection of its own;
- migrations: applied in one transaction under an advisory lock.

An operation's steps (see `storage.sql`) run on one pooled connection; `jsonb` columns are read
as their text, which `codec.alert_from_json` parses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import psycopg
from psycopg.errors import LockNotAvailable
from psycopg.types.string import TextLoader
from psycopg_pool import AsyncConnectionPool

from wirewatch.errors import StoreError
from wirewatch.storage.postgres import db
from wirewatch.storage.postgres._dialect import STORY_LOCK, PostgresDialect
from wirewatch.storage.records import FaultHook
from wirewatch.storage.sql import Steps
from wirewatch.storage.sqlstore import Store

T = TypeVar("T")

PROBE_TIMEOUT = 10.0
"""Seconds the first connection may take before `open` gives up."""

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


async def _configure(conn: db.Conn) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")
    conn.adapters.register_loader("jsonb", TextLoader)  # orjson parses the text faster


class PostgresStore(Store):
    """`Store` over a PostgreSQL database that several instances share (see the module)."""

    name = "postgres"

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        timeout: float = 30.0,
        story_lock_wait: float = 300.0,
        faults: FaultHook | None = None,
    ) -> None:
        super().__init__(PostgresDialect(), faults)
        self.url = url
        self.where = db.display(url)
        self._pool_size = pool_size
        self._timeout = timeout
        self._story_lock_wait = story_lock_wait
        self._pool: AsyncConnectionPool[db.Conn] | None = None
        self._story_conn: db.Conn | None = None
        self._story_mutex = asyncio.Lock()

    async def open(self) -> None:
        if self._pool is not None:
            return
        await self._probe()
        pool: AsyncConnectionPool[db.Conn] = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self._pool_size,
            open=False,
            kwargs={"autocommit": True},
            configure=_configure,
            check=AsyncConnectionPool.check_connection,
            timeout=self._timeout,
            name="wirewatch",
        )
        try:
            await pool.open(wait=True, timeout=self._timeout)
        except psycopg.Error as e:
            await pool.close()
            raise StoreError(f"{self.where}: cannot connect: {e}") from e
        self._pool = pool

    async def _probe(self) -> None:
        """One plain connection first: an unreachable or refusing server fails at once with one
        line, instead of the pool retrying (and logging the driver's message) until `timeout`."""
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, connect_timeout=max(1, int(min(self._timeout, PROBE_TIMEOUT)))
            )
        except psycopg.Error as e:
            reason = " ".join(str(e).split()) or type(e).__name__
            raise StoreError(
                f"{self.where}: cannot connect: {reason} (check storage.url and the server)"
            ) from e
        await conn.close()

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        await self._drop_story_conn()
        if pool is not None:
            await pool.close()

    async def _on_connection(self, fn: Callable[[db.Conn], Awaitable[T]]) -> T:
        if self._pool is None:
            raise StoreError(f"store {self.where} is not open")
        try:
            async with self._pool.connection() as conn:
                return await fn(conn)
        except psycopg.Error as e:
            raise StoreError(f"{self.where}: {e}") from e

    async def _read(self, steps: Steps[T]) -> T:
        """On a pooled connection in autocommit mode: reads that need no common snapshot."""
        return await self._on_connection(lambda conn: db.run(conn, steps))

    async def _write(self, steps: Steps[T]) -> T:
        """On a pooled connection in autocommit mode: one statement, atomic by itself."""
        return await self._on_connection(lambda conn: db.run(conn, steps, most=1))

    async def _transaction(self, steps: Steps[T]) -> T:
        """In one transaction on a pooled connection: committed, or rolled back."""
        return await self._on_connection(
            lambda conn: _in_transaction(conn, lambda: db.run(conn, steps))
        )

    async def migrate(self) -> int:
        return await self._on_connection(
            lambda conn: _in_transaction(conn, lambda: db.migrate(conn, self.dialect))
        )

    @asynccontextmanager
    async def story_lock(self) -> AsyncIterator[None]:
        """A session advisory lock on a dedicated connection, behind an asyncio lock (a
        session lock is re-entrant, so tasks of this process must queue in front of it)."""
        async with self._story_mutex:
            conn = await self._lock_stories()
            try:
                yield
            finally:
                await self._unlock_stories(conn)

    async def _lock_stories(self) -> db.Conn:
        if self._pool is None:
            raise StoreError(f"store {self.where} is not open")
        try:
            if self._story_conn is None or self._story_conn.closed:
                self._story_conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=max(1, int(self._timeout))
                )
                # A holder that is alive but stuck would otherwise stall every instance's
                # ingest without a word; after this wait the poll fails and says who holds it.
                wait = f"{int(self._story_lock_wait * 1000)}ms"
                await self._story_conn.execute(
                    "SELECT set_config('lock_timeout', %s, false)", (wait,)
                )
            await self._story_conn.execute("SELECT pg_advisory_lock(%s)", (STORY_LOCK,))
            return self._story_conn
        except BaseException as e:
            holder = await self._story_lock_holder() if isinstance(e, LockNotAvailable) else ""
            await self._drop_story_conn()  # a lock half taken goes with its session
            if holder:
                raise StoreError(
                    f"{self.where}: waited {self._story_lock_wait:g} s for the story lock, held"
                    f" by {holder}; if that instance is stuck, restart it (or end its session"
                    " with pg_terminate_backend)"
                ) from e
            if isinstance(e, psycopg.Error):
                raise StoreError(f"{self.where}: story lock: {e}") from e
            raise

    async def _story_lock_holder(self) -> str:
        """Who holds the story lock: PostgreSQL's pid, client and how long, or ""."""
        with contextlib.suppress(psycopg.Error):
            async with await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=max(1, int(self._timeout))
            ) as conn:
                cursor = await conn.execute(LOCK_HOLDER, lock_parts(STORY_LOCK))
                row = await cursor.fetchone()
            if row is not None:
                pid, client, state, idle = row
                return f"backend pid {pid} ({client or 'local socket'}, {state} for {idle:.0f} s)"
        return ""

    async def _unlock_stories(self, conn: db.Conn) -> None:
        try:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (STORY_LOCK,))
        except BaseException as e:
            await self._drop_story_conn()  # the server drops the lock with the session
            if not isinstance(e, psycopg.Error):
                raise

    async def _drop_story_conn(self) -> None:
        conn, self._story_conn = self._story_conn, None
        if conn is not None:
            await conn.close()


async def _in_transaction(conn: db.Conn, work: Callable[[], Awaitable[T]]) -> T:
    async with conn.transaction():
        return await work()
