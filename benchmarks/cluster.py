"""Cluster figures: what the claims cost, and delivery throughput with one to three processes.

    .venv/bin/python benchmarks/cluster.py [--feeds 1000] [--deliveries 1000] [--rows 12000]

1. Claim overhead per poll: `claim_feed` of `--feeds` feeds, one call each, as every instance's
   scheduler does before a poll (PostgreSQL, then SQLite for comparison).
2. Claim overhead per delivery: for `--deliveries` due rows, `claim_deliveries(limit=1)` plus
   `mark_delivered` per row (an idle dispatcher), and `claim_deliveries(limit=50)` plus one
   `mark_delivered` per row (a busy one).
3. Throughput: `--rows` due rows; 1, 2 and 3 worker processes, each its own `PostgresStore`
   (its own pool), claim 50 at a time and mark each row delivered until the outbox is empty.
   Nothing is sent, so this is the store's ceiling, not a notifier's. Every row must be
   claimed exactly once; the script checks it.

Uses `WIREWATCH_TEST_PG_URL` (an admin URL; a scratch database is created and dropped), or
starts its own throwaway PostgreSQL with scripts/throwaway-postgres. The server and the
workers share this machine's cores (2 here), so past two processes the figure is bound by CPU,
not by the claims.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from wirewatch.model import Classification, FeedItem, Match
from wirewatch.storage import BatchItem, IngestBatch, Store, StoryDecision, Verdict
from wirewatch.storage.postgres import PostgresStore
from wirewatch.storage.sqlite import SqliteStore

REPO = Path(__file__).resolve().parent.parent
FEED = "https://bench.example/rss"
T0 = datetime(2024, 12, 1, 12, tzinfo=UTC)
CHUNK = 1000
BATCH = 50


@asynccontextmanager
async def postgres_server() -> AsyncIterator[str]:
    """The admin URL of $WIREWATCH_TEST_PG_URL, or of a throwaway server started here."""
    if url := os.environ.get("WIREWATCH_TEST_PG_URL"):
        yield url
        return
    folder = tempfile.mkdtemp(prefix="wirewatch-bench-pg.")
    script = str(REPO / "scripts" / "throwaway-postgres")
    started = subprocess.run(
        [script, "start", f"{folder}/pg"], check=True, capture_output=True, text=True
    )
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
    )
    try:
        yield exports["WIREWATCH_TEST_PG_URL"]
    finally:
        subprocess.run([script, "stop", f"{folder}/pg"], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def scratch_database(admin_url: str) -> AsyncIterator[str]:
    name = f"wwbench_{secrets.token_hex(4)}"
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(admin_url, dbname=name)
    finally:
        async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            await admin.execute(drop)


def batch_of(numbers: range, *, first: bool) -> IngestBatch:
    items = []
    for n in numbers:
        item = FeedItem(id=f"b{n}", feed=FEED, title=f"Rebels enter Homs ({n})", url=f"{FEED}/{n}")
        match = Match("homs", "place", "Homs", "title", 13, 17, "Homs")
        verdict = Verdict(Classification("syria", item.id, True, (match,)), ("bench",))
        items.append(BatchItem(item, (verdict,), StoryDecision(f"story-{n}", f"sig {n}")))
    return IngestBatch(feed=FEED, now=T0, items=tuple(items), backfill=first)


async def queue(store: Store, start: int, count: int, url: str | None = None) -> None:
    """`count` due rows, numbered from `start` (the first call is the feed's first poll).

    On PostgreSQL (`url`), the tables are then analysed, as autovacuum would within a minute:
    on a table just filled the planner, with no statistics, sorts every due row per claim.
    """
    for offset in range(start, start + count, CHUNK):
        numbers = range(offset, min(offset + CHUNK, start + count))
        await store.ingest(batch_of(numbers, first=offset == 0))
    if url is not None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("ANALYZE")


async def timed(calls: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    """Run `call(n)` for n in range(calls), one after the other; seconds per call."""
    spent = []
    for n in range(calls):
        started = time.perf_counter()
        await call(n)
        spent.append(time.perf_counter() - started)
    return spent


def summary(label: str, spent: list[float], per: int = 1) -> str:
    p50 = statistics.median(spent) / per * 1e3
    p95 = statistics.quantiles(spent, n=20)[18] / per * 1e3
    mean = statistics.fmean(spent) / per * 1e3
    return f"  {label:<44} mean {mean:6.3f} ms  p50 {p50:6.3f} ms  p95 {p95:6.3f} ms"


async def overhead(
    store: Store, name: str, feeds: int, deliveries: int, url: str | None = None
) -> None:
    await store.migrate()
    print(f"{name}:")
    until = T0 + timedelta(minutes=5)
    spent = await timed(
        feeds, lambda n: store.claim_feed(f"feed-{n}", now=T0, until=until, owner="i1")
    )
    print(summary("claim_feed, free feed (per poll)", spent))
    spent = await timed(
        feeds, lambda n: store.claim_feed(f"feed-{n}", now=T0, until=until, owner="i1")
    )
    print(summary("claim_feed, renewing our own lease", spent))
    spent = await timed(
        feeds, lambda n: store.claim_feed(f"feed-{n}", now=T0, until=until, owner="i2")
    )
    print(summary("claim_feed, refused (another owner holds it)", spent))

    await queue(store, 0, 2 * deliveries, url)
    later = T0 + timedelta(minutes=1)

    async def one_by_one(n: int) -> None:
        [row] = await store.claim_deliveries(later, limit=1, lease_seconds=60, owner="w")
        await store.mark_delivered(row.id, later)

    print(
        summary(
            "claim(limit=1) + mark_delivered, per delivery", await timed(deliveries, one_by_one)
        )
    )

    async def in_batches(n: int) -> None:
        rows = await store.claim_deliveries(later, limit=BATCH, lease_seconds=60, owner="w")
        for row in rows:
            await store.mark_delivered(row.id, later)

    spent = await timed(deliveries // BATCH, in_batches)
    print(summary(f"claim(limit={BATCH}) + {BATCH} x mark_delivered, per delivery", spent, BATCH))


def worker(url: str, owner: str, barrier: Any, results: Any) -> None:
    """One process: claim and settle rows until none is left; report (start, end, ids)."""

    async def run() -> None:
        async with PostgresStore(url) as store:
            await store.ping()
            barrier.wait()
            later = T0 + timedelta(minutes=1)
            ids: list[str] = []
            started = time.perf_counter()
            while rows := await store.claim_deliveries(
                later, limit=BATCH, lease_seconds=60, owner=owner
            ):
                for row in rows:
                    await store.mark_delivered(row.id, later)
                    ids.append(row.id)
            results.put((started, time.perf_counter(), ids))

    asyncio.run(run())


async def throughput(admin_url: str, rows: int, processes: int) -> None:
    async with scratch_database(admin_url) as url, PostgresStore(url) as store:
        await store.migrate()
        await queue(store, 0, rows, url)
        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(processes), ctx.Queue()
        procs = [
            ctx.Process(target=worker, args=(url, f"p{n}", barrier, results))
            for n in range(processes)
        ]
        for proc in procs:
            proc.start()
        reports = [await asyncio.to_thread(results.get, True, 600) for _ in procs]
        for proc in procs:
            proc.join()
        ids = [i for _, _, got in reports for i in got]
        if len(ids) != rows or len(set(ids)) != rows:
            raise SystemExit(f"claimed {len(ids)} rows, {len(set(ids))} distinct, of {rows}")
        elapsed = max(end for _, end, _ in reports) - min(start for start, _, _ in reports)
        shares = "/".join(str(len(got)) for _, _, got in reports)
        print(
            f"  {processes} process{'es' if processes > 1 else '  '}: {rows} deliveries in "
            f"{elapsed:5.2f} s = {rows / elapsed:6.0f}/s (split {shares}; none claimed twice)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=12000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, shared by PostgreSQL and the workers")
    print("claim overhead (one instance, sequential calls, local server over TCP):")
    async with postgres_server() as admin_url:
        async with scratch_database(admin_url) as url, PostgresStore(url) as store:
            await overhead(store, "PostgreSQL", args.feeds, args.deliveries, url)
        with tempfile.TemporaryDirectory() as folder:
            async with SqliteStore(Path(folder) / "bench.db") as store:
                await overhead(
                    store, "SQLite (one process; for comparison)", args.feeds, args.deliveries
                )
        print(f"delivery-claim throughput on PostgreSQL (claim {BATCH}, mark each delivered):")
        for processes in (1, 2, 3):
            await throughput(admin_url, args.rows, processes)
    print(
        f"bound: these {os.cpu_count()} cores run the PostgreSQL server and every worker, so the "
        "figure cannot grow past two busy processes here; it measures the claims, not a cluster"
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
