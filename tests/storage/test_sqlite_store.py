"""What only the SQLite store promises: its file settings, its thread, a hard crash."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.storage.storecase import FEED_A, T0, alerting, batch, item, polled_once, quiet
from wirewatch.errors import StoreError
from wirewatch.storage import FeedState, Novelty
from wirewatch.storage.schema import migrations
from wirewatch.storage.sql import Call, Statement, Steps
from wirewatch.storage.sqlite import SqliteStore, db
from wirewatch.storage.sqlite.store import GROUP


async def test_file_uses_wal(tmp_path: Path) -> None:
    """The database file is in WAL mode."""
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
    with sqlite3.connect(tmp_path / "w.db") as conn:
        assert "wal" == conn.execute("PRAGMA journal_mode").fetchone()[0]


async def test_work_runs_on_one_worker_thread(tmp_path: Path) -> None:
    """SQLite calls run on the store's one worker thread, never on the event loop's."""
    threads: set[str] = set()
    store = SqliteStore(
        tmp_path / "w.db", faults=lambda _: threads.add(threading.current_thread().name)
    )
    async with store:
        await store.migrate()
        await polled_once(store)
        await store.ingest(batch(alerting(item("a1"))))
    assert 1 == len(threads)
    assert threading.current_thread().name not in threads


def test_migrations_are_numbered_from_one() -> None:
    """Migration files are numbered 1, 2, 3, ... without gaps."""
    numbers = [number for number, _ in migrations("sqlite")]
    assert list(range(1, len(numbers) + 1)) == numbers


_CRASHING_CHILD = """
import asyncio, os, sys
from tests.storage.storecase import alerting, batch, item
from wirewatch.storage.sqlite import SqliteStore

def die(point):
    if point == sys.argv[2]:
        os._exit(9)

async def main():
    store = SqliteStore(sys.argv[1], faults=die)
    await store.open()
    await store.ingest(batch(alerting(item("a1"))))

asyncio.run(main())
"""


@pytest.mark.integration
@pytest.mark.parametrize("point", ["ingest.items", "ingest.commit"])
async def test_killed_process_leaves_nothing_half_written(tmp_path: Path, point: str) -> None:
    """A process that dies inside an ingest leaves no item seen without its alert queued."""
    path = tmp_path / "w.db"
    async with SqliteStore(path) as store:
        await store.migrate()
        await polled_once(store)
    repo = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CRASHING_CHILD), str(path), point],
        cwd=repo,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert 9 == child.returncode, child.stderr.decode()
    async with SqliteStore(path) as store:
        assert {"a1": Novelty.NEW} == await store.novelty(FEED_A, [item("a1")])
        assert (0, []) == (await store.outbox_depth(), await store.recent_alerts(T0))


_LOCKING_CHILD = """
import asyncio, sys
from wirewatch.storage.sqlite import SqliteStore

async def main():
    async with SqliteStore(sys.argv[1]) as store, store.story_lock():
        print("locked", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # hold it until the test closes our stdin

asyncio.run(main())
"""


class LockingChild:
    """Another process holding the store's story lock until `release()`."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_LOCKING_CHILD), str(path)],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def locked(self) -> None:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), 30)
        assert "locked\n" == line

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@contextlib.asynccontextmanager
async def locked_by_another_process(tmp_path: Path) -> AsyncIterator[tuple[Path, LockingChild]]:
    """A migrated data file whose story lock another process holds (until `release`)."""
    path = tmp_path / "w.db"
    async with SqliteStore(path) as store:
        await store.migrate()
    child = LockingChild(path)
    try:
        await child.locked()
        yield path, child
    finally:
        child.stop()


@pytest.mark.integration
async def test_story_lock_excludes_another_process_on_the_same_file(tmp_path: Path) -> None:
    """A `poll --once` beside a running daemon: their story decisions take turns."""
    async with locked_by_another_process(tmp_path) as (path, child), SqliteStore(path) as store:
        entered = asyncio.Event()

        async def decide() -> None:
            async with store.story_lock():
                entered.set()

        waiting = asyncio.create_task(decide())
        await asyncio.sleep(0.5)
        assert not entered.is_set()  # the other process holds the lock
        child.release()
        await asyncio.wait_for(waiting, 30)
        assert entered.is_set()


@pytest.mark.integration
async def test_a_cancelled_wait_for_the_file_lock_does_not_keep_it(tmp_path: Path) -> None:
    """A wait cancelled (a stopping daemon) lets go of the lock when it comes, for later holders."""
    async with locked_by_another_process(tmp_path) as (path, child), SqliteStore(path) as store:
        waiting = asyncio.create_task(store.story_lock().__aenter__())
        await asyncio.sleep(0.3)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        child.release()
        await asyncio.sleep(0.5)  # the abandoned wait takes the lock, then lets it go
        async with SqliteStore(path) as other, asyncio.timeout(10), other.story_lock():
            pass


async def test_a_schema_2_file_upgrades_with_its_outbox_intact(tmp_path: Path) -> None:
    """A data file from before destination health (schema 2) migrates to the current schema;
    its queued deliveries are kept and claimable."""
    path = tmp_path / "old.db"
    async with SqliteStore(path) as store:
        await store.migrate()
        await polled_once(store, FEED_A)
        await store.ingest(batch(alerting(item("a1"))))
    with sqlite3.connect(path) as conn:  # back to what schema 2 looked like
        conn.execute("DROP INDEX outbox_notifier_open")
        conn.execute("ALTER TABLE outbox DROP COLUMN digest_id")
        conn.execute("DROP TABLE notifier_health")
        conn.execute("DROP TABLE silences")  # schema 4
        conn.execute("DELETE FROM schema_version WHERE version > 2")
    async with SqliteStore(path) as store:
        assert len(migrations("sqlite")) == await store.migrate()
        claimed = await store.claim_deliveries(T0, limit=5, lease_seconds=30, owner="w1")
    assert [None] == [row.digest_id for row in claimed]


async def test_a_lock_file_that_cannot_be_opened_is_a_store_error(tmp_path: Path) -> None:
    """`<db>.lock` that cannot be opened (here a directory; a read-only or full data directory
    does the same) is a `StoreError`, which a poll reports as not stored, not an `OSError`."""
    (tmp_path / "w.db.lock").mkdir()
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
        with pytest.raises(StoreError, match=r"cannot open .*w\.db\.lock"):
            async with store.story_lock():
                pass


def _insert(value: str, fail: bool = False) -> Steps[str]:
    """A write of one row; `fail` raises after the insert, before the write ends."""
    yield Call(Statement("INSERT INTO t (v) VALUES (:v)"), {"v": value}, "count")
    if fail:
        raise Crash(value)
    return value


class Crash(Exception):
    pass


def test_writes_run_together_share_one_transaction_and_fail_alone(tmp_path: Path) -> None:
    """`run_in_one_write` (the store's writes that waited together): one BEGIN for all, the
    write that raised is rolled back alone and its error is its result, the others commit."""
    conn = db.connect(str(tmp_path / "w.db"), busy_timeout=1.0)
    conn.execute("CREATE TABLE t (v TEXT)")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)

    results = db.run_in_one_write(conn, [_insert("a"), _insert("b", fail=True), _insert("c")])

    conn.set_trace_callback(None)
    failed = db.failure(results[1])
    assert (["a", "c"], Crash, None) == (
        [results[0], results[2]],
        type(failed),
        db.failure(results[0]),
    )
    assert 1 == statements.count("BEGIN IMMEDIATE")
    with sqlite3.connect(tmp_path / "w.db") as other:  # committed: another connection sees it
        assert [("a",), ("c",)] == other.execute("SELECT v FROM t ORDER BY v").fetchall()


async def test_concurrent_writes_each_get_their_own_outcome(tmp_path: Path) -> None:
    """Writes sent together through the store: a failing ingest raises its own error and leaves
    nothing, while the feed states saved beside it are stored."""

    def fault(point: str) -> None:
        if point == "ingest.alerts":
            raise Crash(point)

    async with SqliteStore(tmp_path / "w.db", faults=fault) as store:
        await store.migrate()
        others = [FeedState(key=f"https://feeds.example/{n}.xml", etag=f'"{n}"') for n in range(5)]
        found = await asyncio.gather(
            *(store.save_feed_state(s) for s in others[:2]),
            store.ingest(batch(alerting(item("a1")))),
            *(store.save_feed_state(s) for s in others[2:]),
            return_exceptions=True,
        )
        saved = [await store.get_feed_state(s.key) for s in others]
        novelty = await store.novelty(FEED_A, [item("a1")])

    assert [None, None, Crash, None, None, None] == [
        type(r) if isinstance(r, BaseException) else r for r in found
    ]
    assert (others, {"a1": Novelty.NEW}) == (saved, novelty)


async def test_a_queued_ingest_is_seen_by_every_call_made_after_it(tmp_path: Path) -> None:
    """`queue_ingest` puts the ingest in line before it returns: a read made next, before its
    outcome is awaited, already sees the items, and the outcome is the ingest's own."""
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
        await polled_once(store)
        queued = store.queue_ingest(batch(quiet(item("a1"))))
        novelty = await store.novelty(FEED_A, [item("a1"), item("a2")])
        outcome = await queued
    assert ({"a1": Novelty.SEEN, "a2": Novelty.NEW}, 1) == (novelty, outcome.new)


async def test_a_queue_longer_than_a_group_is_written_in_order(tmp_path: Path) -> None:
    """Writes waiting together are committed `GROUP` at a time (so the write lock is never
    held for a whole long queue), in the order they were queued, each caller told its own
    outcome: an item queued last whose URL an earlier one had is not new."""
    count = 2 * GROUP + 1
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
        await polled_once(store)
        queued = [store.queue_ingest(batch(quiet(item(f"a{n}")))) for n in range(count)]
        same_url = item("late", url=f"{FEED_A}/items/a0")  # its URL is a0's: not new
        last = store.queue_ingest(batch(quiet(same_url)))
        outcomes = [await q for q in queued]
        late = await last
        stored = await store.novelty(FEED_A, [item(f"a{n}") for n in range(count)])
    assert ([1] * count, 0) == ([o.new for o in outcomes], late.new)
    assert {Novelty.SEEN} == set(stored.values())
