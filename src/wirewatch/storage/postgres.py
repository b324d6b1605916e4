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
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import TypeVar

import psycopg
from psycopg.errors import LockNotAvailable
from psycopg_pool import AsyncConnectionPool

from wirewatch.delivery.silences import Silence
from wirewatch.errors import StoreError
from wirewatch.model import FeedItem
from wirewatch.storage import _pg_db as db
from wirewatch.storage import _pg_feeds as feeds
from wirewatch.storage import _pg_ingest as ingesting
from wirewatch.storage import _pg_outbox as outbox
from wirewatch.storage import _pg_queries as queries
from wirewatch.storage import _pg_silences as silences
from wirewatch.storage.base import (
    DEFAULT_MAX_AGE,
    DEFAULT_SEEN_MAX_AGE,
    AlertRecord,
    DeliveryRecord,
    DeliveryState,
    FaultHook,
    FeedState,
    IngestBatch,
    IngestOutcome,
    NotifierHealth,
    Novelty,
    OutboxSummary,
    PruneOutcome,
    StoredItem,
    StoryMemberRecord,
    StoryRecord,
)

T = TypeVar("T")


PROBE_TIMEOUT = 10.0
"""Seconds the first connection may take before `open` gives up."""


def _no_fault(point: str) -> None:
    return None


async def _configure(conn: db.Conn) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")


class PostgresStore:
    """`Store` over a PostgreSQL database that several instances share (see the module)."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        timeout: float = 30.0,
        story_lock_wait: float = 300.0,
        faults: FaultHook | None = None,
    ) -> None:
        self.url = url
        self.where = db.display(url)
        self._pool_size = pool_size
        self._timeout = timeout
        self._story_lock_wait = story_lock_wait
        self._fault = faults or _no_fault
        self._pool: AsyncConnectionPool[db.Conn] | None = None
        self._story_conn: db.Conn | None = None
        self._story_mutex = asyncio.Lock()

    async def __aenter__(self) -> PostgresStore:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

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

    async def _tx(self, fn: Callable[[db.Conn], Awaitable[T]]) -> T:
        """Run `fn` in one transaction on a pooled connection: committed, or rolled back."""
        return await self._one(lambda conn: _in_transaction(conn, fn))

    async def _one(self, fn: Callable[[db.Conn], Awaitable[T]]) -> T:
        """Run `fn` on a pooled connection in autocommit mode: for work done by one statement
        (atomic by itself) or by reads that need no common snapshot."""
        if self._pool is None:
            raise StoreError(f"store {self.where} is not open")
        try:
            async with self._pool.connection() as conn:
                return await fn(conn)
        except psycopg.Error as e:
            raise StoreError(f"{self.where}: {e}") from e

    async def migrate(self) -> int:
        return await self._tx(db.migrate)

    async def ping(self) -> None:
        version = await self._one(db.current_version)
        if version < db.latest_version():
            raise StoreError(f"{self.where}: schema {version} needs `wirewatch db migrate`")

    async def get_feed_state(self, key: str) -> FeedState | None:
        return await self._one(lambda c: feeds.get(c, key))

    async def save_feed_state(self, state: FeedState) -> None:
        await self._one(lambda c: feeds.save(c, state))

    async def list_feed_states(self) -> list[FeedState]:
        return await self._one(feeds.list_all)

    async def claim_feed(self, key: str, *, now: datetime, until: datetime, owner: str) -> bool:
        return await self._one(lambda c: feeds.claim(c, key, now, until, owner))

    async def feed_owners(self) -> dict[str, tuple[str, datetime]]:
        return await self._one(feeds.owners)

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
            await self._story_conn.execute("SELECT pg_advisory_lock(%s)", (db.STORY_LOCK,))
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
                cursor = await conn.execute(db.LOCK_HOLDER, db.lock_parts(db.STORY_LOCK))
                row = await cursor.fetchone()
            if row is not None:
                pid, client, state, idle = row
                return f"backend pid {pid} ({client or 'local socket'}, {state} for {idle:.0f} s)"
        return ""

    async def _unlock_stories(self, conn: db.Conn) -> None:
        try:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (db.STORY_LOCK,))
        except BaseException as e:
            await self._drop_story_conn()  # the server drops the lock with the session
            if not isinstance(e, psycopg.Error):
                raise

    async def _drop_story_conn(self) -> None:
        conn, self._story_conn = self._story_conn, None
        if conn is not None:
            await conn.close()

    async def novelty(self, feed: str, items: Sequence[FeedItem]) -> dict[str, Novelty]:
        return await self._one(lambda c: ingesting.novelty(c, feed, items))

    async def ingest(self, batch: IngestBatch) -> IngestOutcome:
        return await self._tx(lambda c: ingesting.ingest(c, batch, self._fault))

    async def recent_alerts(
        self,
        since: datetime,
        *,
        watchlist: str | None = None,
        entity: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AlertRecord]:
        return await self._one(
            lambda c: queries.recent_alerts(c, since, watchlist, entity, limit, offset)
        )

    async def alert(self, alert_id: str) -> AlertRecord | None:
        return await self._one(lambda c: queries.alert_record(c, alert_id))

    async def item_counts(self, since: datetime) -> dict[str, dict[date, int]]:
        return await self._one(lambda c: queries.item_counts(c, since))

    async def stored_items(self, since: datetime) -> list[StoredItem]:
        return await self._one(lambda c: queries.stored_items(c, since))

    async def recent_stories(self, since: datetime) -> list[StoryRecord]:
        return await self._one(lambda c: queries.recent_stories(c, since))

    async def story_members(
        self, since: datetime, *, story_id: str | None = None
    ) -> list[StoryMemberRecord]:
        return await self._one(lambda c: queries.story_members(c, since, story_id))

    async def claim_deliveries(
        self, now: datetime, *, limit: int, lease_seconds: float, owner: str
    ) -> list[DeliveryRecord]:
        return await self._one(lambda c: outbox.claim(c, now, limit, lease_seconds, owner))

    async def mark_delivered(self, delivery_id: str, now: datetime) -> None:
        await self._one(lambda c: outbox.mark_delivered(c, delivery_id, now))

    async def mark_delivered_many(self, delivery_ids: Sequence[str], now: datetime) -> None:
        await self._one(lambda c: outbox.mark_delivered_many(c, delivery_ids, now))

    async def reschedule(
        self,
        delivery_id: str,
        *,
        due_at: datetime,
        error: str,
        attempt: int,
        digest_id: str | None = None,
    ) -> None:
        await self._one(
            lambda c: outbox.reschedule(c, delivery_id, due_at, error, attempt, digest_id)
        )

    async def release(self, delivery_ids: Sequence[str]) -> None:
        await self._one(lambda c: outbox.release(c, delivery_ids))

    async def expire_deliveries(self, notifier: str, created_before: datetime, reason: str) -> int:
        return await self._one(lambda c: outbox.expire(c, notifier, created_before, reason))

    async def save_notifier_health(self, health: NotifierHealth) -> None:
        await self._one(lambda c: outbox.save_health(c, health))

    async def notifier_health(self) -> list[NotifierHealth]:
        return await self._one(outbox.list_health)

    async def outbox_summary(self) -> list[OutboxSummary]:
        return await self._one(outbox.summary)

    async def postpone(self, delivery_id: str, *, due_at: datetime, note: str) -> None:
        await self._one(lambda c: outbox.postpone(c, delivery_id, due_at, note))

    async def dead_letter(
        self, delivery_id: str, reason: str, *, attempts: int | None = None
    ) -> None:
        await self._one(lambda c: outbox.dead_letter(c, delivery_id, reason, attempts))

    async def list_deliveries(
        self, state: DeliveryState | None = None, *, limit: int = 1000
    ) -> list[DeliveryRecord]:
        return await self._one(lambda c: outbox.list_rows(c, state, limit))

    async def requeue(
        self,
        now: datetime,
        ids: Sequence[str] | None = None,
        *,
        states: Sequence[DeliveryState] = (DeliveryState.DEAD,),
        notifier: str | None = None,
    ) -> int:
        return await self._one(lambda c: outbox.requeue(c, now, ids, states, notifier))

    async def outbox_depth(self) -> int:
        return await self._one(outbox.depth)

    async def outbox_depth_by_notifier(self) -> dict[str, int]:
        return await self._one(outbox.depth_by_notifier)

    async def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        seen_max_age: timedelta = DEFAULT_SEEN_MAX_AGE,
    ) -> PruneOutcome:
        """One retention pass; each step is its own short transaction and leaves a consistent
        database, so a pass cut short is simply finished by the next one."""
        params = queries.prune_params(now, max_age, seen_max_age)
        counts: dict[str, int] = {}
        for name, sql in queries.PRUNE.items():
            counts[name] = await self._one(
                functools.partial(queries.prune_step, sql=sql, params=params)
            )
        return PruneOutcome(**counts)

    async def add_silence(self, silence: Silence) -> None:
        await self._one(lambda c: silences.add(c, silence))

    async def list_silences(self, *, limit: int = 500) -> list[Silence]:
        return await self._one(lambda c: silences.list_all(c, limit))

    async def active_silences(self, now: datetime) -> list[Silence]:
        return await self._one(lambda c: silences.active(c, now))

    async def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        return await self._tx(lambda c: silences.expire(c, silence_id, now))


async def _in_transaction(conn: db.Conn, fn: Callable[[db.Conn], Awaitable[T]]) -> T:
    async with conn.transaction():
        return await fn(conn)
