"""The SQLite store: one file, WAL, one dedicated worker thread.

Every call runs on a single-thread executor that owns the connection, so the event loop never
blocks on SQLite and calls from one process are serialised; other processes sharing the file
wait on `busy_timeout`, and for story decisions on an `flock` of `<file>.lock`. Writes are
`BEGIN IMMEDIATE` transactions, and `sqlite3.Error` becomes `StoreError` at this edge.
`synchronous = NORMAL` in WAL mode keeps every transaction atomic; a power cut may lose the
last commits, which at-least-once delivery and re-polling absorb.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

from wirewatch.delivery.silences import Silence
from wirewatch.errors import StoreError
from wirewatch.model import FeedItem
from wirewatch.storage import _sqlite_db as db
from wirewatch.storage import _sqlite_feeds as feeds
from wirewatch.storage import _sqlite_ingest as ingesting
from wirewatch.storage import _sqlite_outbox as outbox
from wirewatch.storage import _sqlite_queries as queries
from wirewatch.storage import _sqlite_silences as silences
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

try:
    import fcntl
except ImportError:  # not on Windows: there, processes sharing a file are not coordinated
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")


def _no_fault(point: str) -> None:
    return None


def _lock_file(path: str) -> IO[bytes] | None:
    """Open `<path>.lock` and wait for an exclusive lock on it; None for an in-memory store or
    where `flock` does not exist. A lock file that cannot be opened or locked (a read-only or
    full data directory) is a `StoreError` like any other failed write."""
    if fcntl is None or path in ("", ":memory:") or path.startswith("file:"):
        return None
    try:
        handle = open(f"{path}.lock", "ab")  # noqa: SIM115 - closed by story_lock
    except OSError as e:
        raise StoreError(f"SQLite {path}: cannot open {path}.lock: {e.strerror or e}") from e
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    except OSError as e:
        handle.close()
        raise StoreError(f"SQLite {path}: cannot lock {path}.lock: {e.strerror or e}") from e
    except BaseException:
        handle.close()
        raise
    return handle


async def _acquire(path: str) -> IO[bytes] | None:
    """`_lock_file` in a thread; if the wait is cancelled, the lock is let go once taken."""
    taking = asyncio.ensure_future(asyncio.to_thread(_lock_file, path))
    try:
        return await asyncio.shield(taking)
    except asyncio.CancelledError:
        taking.add_done_callback(_let_go)
        raise


def _let_go(taking: asyncio.Future[IO[bytes] | None]) -> None:
    if not taking.cancelled() and taking.exception() is None and (held := taking.result()):
        held.close()


class SqliteStore:
    """`Store` over one SQLite file (see the module docstring)."""

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 5.0, faults: FaultHook | None = None
    ) -> None:
        self.path = str(path)
        self._busy_timeout = busy_timeout
        self._fault = faults or _no_fault
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._story_mutex = asyncio.Lock()

    async def __aenter__(self) -> SqliteStore:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="wirewatch-sqlite")
        try:
            self._conn = await self._submit(
                lambda: db.connect(self.path, busy_timeout=self._busy_timeout)
            )
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise

    async def close(self) -> None:
        """Close after the calls already submitted have run."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, self._close_connection)
        executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    async def _submit(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            raise StoreError(f"store {self.path} is not open")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        except sqlite3.Error as e:
            raise StoreError(f"SQLite {self.path}: {e}") from e

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._conn is None:
                raise StoreError(f"store {self.path} is not open")
            return fn(self._conn)

        return await self._submit(call)

    async def migrate(self) -> int:
        return await self._run(db.migrate)

    async def ping(self) -> None:
        version = await self._run(db.current_version)
        if version < db.latest_version():
            raise StoreError(f"SQLite {self.path}: schema {version} needs `wirewatch db migrate`")

    async def get_feed_state(self, key: str) -> FeedState | None:
        return await self._run(lambda c: feeds.get(c, key))

    async def save_feed_state(self, state: FeedState) -> None:
        await self._run(lambda c: _in_write(c, lambda: feeds.save(c, state)))

    async def list_feed_states(self) -> list[FeedState]:
        return await self._run(feeds.list_all)

    async def claim_feed(self, key: str, *, now: datetime, until: datetime, owner: str) -> bool:
        return await self._run(
            lambda c: _in_write(c, lambda: feeds.claim(c, key, now, until, owner))
        )

    async def feed_owners(self) -> dict[str, tuple[str, datetime]]:
        return await self._run(feeds.owners)

    @asynccontextmanager
    async def story_lock(self) -> AsyncIterator[None]:
        """Story decisions one at a time: an asyncio lock within this process and, for a file,
        an exclusive `flock` on `<file>.lock` against other processes using the same file (a
        `poll --once` next to a running daemon). The wait for it runs in a thread."""
        async with self._story_mutex:
            held = await _acquire(self.path)
            try:
                yield
            finally:
                if held is not None:
                    held.close()  # closing the file releases the lock

    async def novelty(self, feed: str, items: Sequence[FeedItem]) -> dict[str, Novelty]:
        return await self._run(lambda c: ingesting.novelty(c, feed, items))

    async def ingest(self, batch: IngestBatch) -> IngestOutcome:
        return await self._run(lambda c: ingesting.ingest(c, batch, self._fault))

    async def recent_alerts(
        self,
        since: datetime,
        *,
        watchlist: str | None = None,
        entity: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AlertRecord]:
        return await self._run(
            lambda c: queries.recent_alerts(c, since, watchlist, entity, limit, offset)
        )

    async def alert(self, alert_id: str) -> AlertRecord | None:
        return await self._run(lambda c: queries.alert_record(c, alert_id))

    async def item_counts(self, since: datetime) -> dict[str, dict[date, int]]:
        return await self._run(lambda c: queries.item_counts(c, since))

    async def stored_items(self, since: datetime) -> list[StoredItem]:
        return await self._run(lambda c: queries.stored_items(c, since))

    async def recent_stories(self, since: datetime) -> list[StoryRecord]:
        return await self._run(lambda c: queries.recent_stories(c, since))

    async def story_members(
        self, since: datetime, *, story_id: str | None = None
    ) -> list[StoryMemberRecord]:
        return await self._run(lambda c: queries.story_members(c, since, story_id))

    async def claim_deliveries(
        self, now: datetime, *, limit: int, lease_seconds: float, owner: str
    ) -> list[DeliveryRecord]:
        return await self._run(lambda c: outbox.claim(c, now, limit, lease_seconds, owner))

    async def mark_delivered(self, delivery_id: str, now: datetime) -> None:
        await self._run(lambda c: outbox.mark_delivered(c, delivery_id, now))

    async def mark_delivered_many(self, delivery_ids: Sequence[str], now: datetime) -> None:
        await self._run(lambda c: outbox.mark_delivered_many(c, delivery_ids, now))

    async def reschedule(
        self,
        delivery_id: str,
        *,
        due_at: datetime,
        error: str,
        attempt: int,
        digest_id: str | None = None,
    ) -> None:
        await self._run(
            lambda c: outbox.reschedule(c, delivery_id, due_at, error, attempt, digest_id)
        )

    async def release(self, delivery_ids: Sequence[str]) -> None:
        await self._run(lambda c: outbox.release(c, delivery_ids))

    async def expire_deliveries(self, notifier: str, created_before: datetime, reason: str) -> int:
        return await self._run(lambda c: outbox.expire(c, notifier, created_before, reason))

    async def save_notifier_health(self, health: NotifierHealth) -> None:
        await self._run(lambda c: outbox.save_health(c, health))

    async def notifier_health(self) -> list[NotifierHealth]:
        return await self._run(outbox.list_health)

    async def outbox_summary(self) -> list[OutboxSummary]:
        return await self._run(outbox.summary)

    async def postpone(self, delivery_id: str, *, due_at: datetime, note: str) -> None:
        await self._run(lambda c: outbox.postpone(c, delivery_id, due_at, note))

    async def dead_letter(
        self, delivery_id: str, reason: str, *, attempts: int | None = None
    ) -> None:
        await self._run(lambda c: outbox.dead_letter(c, delivery_id, reason, attempts))

    async def list_deliveries(
        self, state: DeliveryState | None = None, *, limit: int = 1000
    ) -> list[DeliveryRecord]:
        return await self._run(lambda c: outbox.list_rows(c, state, limit))

    async def requeue(
        self,
        now: datetime,
        ids: Sequence[str] | None = None,
        *,
        states: Sequence[DeliveryState] = (DeliveryState.DEAD,),
        notifier: str | None = None,
    ) -> int:
        return await self._run(lambda c: outbox.requeue(c, now, ids, states, notifier))

    async def outbox_depth(self) -> int:
        return await self._run(outbox.depth)

    async def outbox_depth_by_notifier(self) -> dict[str, int]:
        return await self._run(outbox.depth_by_notifier)

    async def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        seen_max_age: timedelta = DEFAULT_SEEN_MAX_AGE,
    ) -> PruneOutcome:
        return await self._run(lambda c: queries.prune(c, now, max_age, seen_max_age))

    async def add_silence(self, silence: Silence) -> None:
        await self._run(lambda c: silences.add(c, silence))

    async def list_silences(self, *, limit: int = 500) -> list[Silence]:
        return await self._run(lambda c: silences.list_all(c, limit))

    async def active_silences(self, now: datetime) -> list[Silence]:
        return await self._run(lambda c: silences.active(c, now))

    async def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        return await self._run(lambda c: silences.expire(c, silence_id, now))


def _in_write(conn: sqlite3.Connection, fn: Callable[[], T]) -> T:
    with db.write(conn):
        return fn()
