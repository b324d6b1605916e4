"""The SQLite story lock across processes: an exclusive `flock` on `<file>.lock`."""

from __future__ import annotations

import asyncio
from typing import IO

from wirewatch.errors import StoreError

try:
    import fcntl
except ImportError:  # not on Windows: there, processes sharing a file are not coordinated
    fcntl = None  # type: ignore[assignment]


def _lock_file(path: str) -> IO[bytes] | None:
    """Open `<path>.lock` and wait for an exclusive lock on it; None for an in-memory store or
    where `flock` does not exist. A lock file that cannot be opened or locked (a read-only or
    full data directory) is a `StoreError` like any other failed write."""
    if fcntl is None or path in ("", ":memory:") or path.startswith("file:"):
        return None
    try:
        handle = open(f"{path}.lock", "ab")  # noqa: SIM115 - closed by the story lock's holder
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


async def acquire(path: str) -> IO[bytes] | None:
    """`_lock_file` in a thread; if the wait is cancelled, the lock is let go once taken.
    Closing the returned file releases the lock."""
    taking = asyncio.ensure_future(asyncio.to_thread(_lock_file, path))
    try:
        return await asyncio.shield(taking)
    except asyncio.CancelledError:
        taking.add_done_callback(_let_go)
        raise


def _let_go(taking: asyncio.Future[IO[bytes] | None]) -> None:
    if not taking.cancelled() and taking.exception() is None and (held := taking.result()):
        held.close()
