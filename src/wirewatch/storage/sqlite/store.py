"""The SQLite store: one file, WAL, one dedicated worker thread.

Every call runs on a single-thread executor that owns the connection, so the event loop never
blocks on SQLite and calls from one process are serialised; other processes sharing the file
wait on `busy_timeout`, and for story decisions on an `flock` of `<file>.lock`. Writes are
`BEGIN IMMEDIATE` transactions, and `sqlite3.Error` becomes `StoreError` at this edge.
`synchronous = NORMAL` in WAL mode keeps every transaction atomic; a power cut may lose the
last commits, which at-least-once delivery and re-polling absorb.

An operation's steps (see `storage.sql`) run to the end in one call on the worker thread, so
no other call's statement can come between them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from wirewatch.errors import StoreError
from wirewatch.storage.base import FaultHook
from wirewatch.storage.sql import Steps
from wirewatch.storage.sqlite import db
from wirewatch.storage.sqlite._dialect import SqliteDialect
from wirewatch.storage.sqlite._lock import acquire
from wirewatch.storage.sqlstore import SqlStore

T = TypeVar("T")


class SqliteStore(SqlStore):
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
        return await self._on_connection(lambda conn: db.run_in_write(conn, steps))

    _transaction = _write

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
