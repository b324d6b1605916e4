"""The SQLite store: one file, WAL, one dedicated worker thread.

Every call runs on a single-thread executor that owns the connection, so the event loop never
blocks on SQLite and calls from one process are serialised; other processes sharing the file
wait on `busy_timeout`, and for story decisions on an `flock` of `<file>.lock`. Writes are
`BEGIN IMMEDIATE` transactions, and `sqlite3.Error` becomes `StoreError` at this edge.
`synchronous = NORMAL` in WAL mode keeps every transaction atomic; a power cut may lose the
last commits, which at-least-once delivery and re-polling absorb.

An operation's steps (see `storage.sql`) run to the end in one call on the worker thread, so
no other call's statement can come between them. Writes that wait for the worker together
(1,000 feeds answering 304 save their states at once) share one transaction, each in its own
savepoint (`db.run_in_one_write`), at most `GROUP` to a transaction: a write that fails is
rolled back alone, and no caller hears that its write is done before the transaction holding
it has committed. Calls run in the order they are made, except that a write may join a group
queued before a read made earlier: so `queue_ingest` can put a feed's ingest in line and let
the next feed go on (what it reads then shows the ingest done, or rolled back).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from wirewatch.errors import StoreError
from wirewatch.storage import _ingest as ingesting
from wirewatch.storage.records import FaultHook, IngestBatch, IngestOutcome
from wirewatch.storage.sql import Steps
from wirewatch.storage.sqlite import db
from wirewatch.storage.sqlite._dialect import SqliteDialect
from wirewatch.storage.sqlite._lock import acquire
from wirewatch.storage.sqlstore import Store

T = TypeVar("T")
GROUP = 64
"""At most this many waiting writes share one transaction, so that the write lock another
process waits for is held a short while (a queue of 1,000 ingests commits 16 times)."""


class SqliteStore(Store):
    """`Store` over one SQLite file (see the module docstring)."""

    name = "sqlite"

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 5.0, faults: FaultHook | None = None
    ) -> None:
        super().__init__(SqliteDialect(), faults)
        self.path = str(path)
        self.where = f"SQLite {self.path}"
        self._busy_timeout = busy_timeout
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._story_mutex = asyncio.Lock()
        self._waiting: list[tuple[Steps[Any], asyncio.Future[Any]]] = []
        self._waiting_lock = threading.Lock()

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

    async def _on_connection(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._conn is None:
                raise StoreError(f"store {self.path} is not open")
            return fn(self._conn)

        return await self._submit(call)

    async def _read(self, steps: Steps[T]) -> T:
        return await self._on_connection(lambda conn: db.run(conn, steps))

    async def _write(self, steps: Steps[T]) -> T:
        return await self._queue(steps)

    _transaction = _write

    def queue_ingest(self, batch: IngestBatch) -> asyncio.Future[IngestOutcome]:
        """`ingest(batch)`, put in line now (see `storage.base.OrderedIngest`)."""
        return self._queue(ingesting.ingest(self.dialect, batch, self._fault))

    def _queue(self, steps: Steps[T]) -> asyncio.Future[T]:
        """Queued with the writes already waiting; the first of them sends the worker off to
        run them in transactions of at most `GROUP` (see the module docstring). The worker's
        job is not tied to the first caller: cancelling it leaves the others' writes to run.
        A call made after this one, read or write, runs after it on the worker."""
        if self._executor is None:
            raise StoreError(f"store {self.path} is not open")
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._waiting_lock:
            self._waiting.append((steps, done))
            first = len(self._waiting) == 1
        if first:
            self._executor.submit(self._write_waiting)
        return done

    def _write_waiting(self) -> None:
        """On the worker: every write waiting now, `GROUP` at a time, each group in one
        transaction; each caller is told once its group is committed. (Writes queued from
        here on wait for the next job, behind the calls made before them.)"""
        with self._waiting_lock:
            waiting, self._waiting = self._waiting, []
        for start in range(0, len(waiting), GROUP):
            self._write_group(waiting[start : start + GROUP])

    def _write_group(self, batch: list[tuple[Steps[Any], asyncio.Future[Any]]]) -> None:
        try:
            if self._conn is None:
                raise StoreError(f"store {self.path} is not open")
            results = db.run_in_one_write(self._conn, [steps for steps, _ in batch])
        except BaseException as e:  # every caller of the batch gets it
            results = [db.Failed(e)] * len(batch)
        for (_, done), result in zip(batch, results, strict=True):
            done.get_loop().call_soon_threadsafe(self._settle, done, result)

    def _settle(self, done: asyncio.Future[Any], result: Any) -> None:
        if done.done():  # its caller was cancelled
            return
        error = db.failure(result)
        if isinstance(error, sqlite3.Error):
            error = StoreError(f"SQLite {self.path}: {error}")
        if error is None:
            done.set_result(result)
        else:
            done.set_exception(error)

    async def migrate(self) -> int:
        return await self._on_connection(lambda conn: db.migrate(conn, self.dialect))

    @asynccontextmanager
    async def story_lock(self) -> AsyncIterator[None]:
        """Story decisions one at a time: an asyncio lock within this process and, for a file,
        an exclusive `flock` on `<file>.lock` against other processes using the same file (a
        `poll --once` next to a running daemon). The wait for it runs in a thread."""
        async with self._story_mutex:
            held = await acquire(self.path)
            try:
                yield
            finally:
                if held is not None:
                    held.close()  # closing the file releases the lock
