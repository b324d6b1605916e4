"""Delivery throughput and idle latency: the outbox to a local webhook receiver.

    .venv/bin/python benchmarks/deliver.py [--count 10000] [--samples 200] [--concurrency 4]

1. Throughput: `--count` alerts are queued in a temporary SQLite store, then one dispatcher
   delivers them to a fast asyncio HTTP receiver on 127.0.0.1 (format json, signed with a
   secret). Target: at least 500 deliveries a second.
2. Idle latency: with the dispatcher running and the outbox empty, one alert at a time is
   ingested, `wake()` is called (as the pipeline does), and the time until the receiver has
   it is measured. Target: p95 at most 1 s.

Beside the wall-clock rate it prints the sender's CPU time per delivery (this process, the
store's thread included), which a busy machine inflates much less than the wall clock.

The receiver runs in its own process (as a real one would), so it does not compete with the
dispatcher for the interpreter; it reports each receipt as `<webhook-id> <perf_counter>` on
its stdout (CLOCK_MONOTONIC, comparable across processes on Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import structlog

from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.model import Classification, FeedItem, Match
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.parts import webhook_transport
from wirewatch.storage import BatchItem, IngestBatch, StoryDecision, Verdict
from wirewatch.storage.sqlite import SqliteStore

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FEED = "https://bench.example/rss"
CHUNK = 1000
UP = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
DOWN = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"


async def serve(down_until: float = 0.0) -> None:
    """The receiver process: answer 204 to every POST (503 before `down_until`, a Unix time),
    and report each `webhook-id` on stdout, with `!` appended to the id for a 503."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                fields = (line.partition(":") for line in head.split("\r\n")[1:] if line)
                headers = {name.strip().lower(): value.strip() for name, _, value in fields}
                await reader.readexactly(int(headers.get("content-length", "0")))
                down = time.time() < down_until
                mark = "!" if down else ""
                sys.stdout.write(f"{headers.get('webhook-id', '-')}{mark} {time.perf_counter()}\n")
                writer.write(DOWN if down else UP)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    while True:  # flush receipts in bunches; the parent kills us when done
        await asyncio.sleep(0.002)
        sys.stdout.flush()


class Receipts:
    """The parent's view of the receiver: when each delivery id first arrived."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.seen: dict[str, float] = {}
        self.requests = 0
        self.refused = 0
        self.accepted = 0
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.expected = 0
        self.enough = asyncio.Event()
        self._stream = stream

    async def follow(self) -> None:
        async for line in self._stream:
            webhook_id, _, at = line.decode().partition(" ")
            self.requests += 1
            if webhook_id.endswith("!"):
                self.refused += 1
                continue
            self.accepted += 1
            self.seen.setdefault(webhook_id, float(at))
            if (waiter := self.waiters.pop(webhook_id, None)) and not waiter.done():
                waiter.set_result(float(at))
            if len(self.seen) >= self.expected:
                self.enough.set()

    async def wait_for(self, webhook_id: str) -> float:
        if webhook_id in self.seen:
            return self.seen[webhook_id]
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[webhook_id] = waiter
        return await waiter


def batch_of(numbers: range, now: datetime, *, first: bool) -> IngestBatch:
    items = []
    for n in numbers:
        item = FeedItem(id=f"b{n}", feed=FEED, title=f"Rebels enter Homs ({n})", url=f"{FEED}/{n}")
        match = Match("homs", "place", "Homs", "title", 13, 17, "Homs")
        verdict = Verdict(Classification("syria", item.id, True, (match,)), ("bench",))
        items.append(BatchItem(item, (verdict,), StoryDecision(f"story-{n}", f"sig {n}")))
    return IngestBatch(feed=FEED, now=now, items=tuple(items), backfill=first)


async def queue(store: SqliteStore, start: int, count: int) -> None:
    for offset in range(start, start + count, CHUNK):
        numbers = range(offset, min(offset + CHUNK, start + count))
        await store.ingest(batch_of(numbers, datetime.now(UTC), first=offset == 0))


async def bench(count: int, samples: int, concurrency: int, folder: Path) -> None:
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", stdout=asyncio.subprocess.PIPE
    )
    assert receiver.stdout is not None
    url = f"http://127.0.0.1:{int(await receiver.stdout.readline())}/hooks"
    receipts = Receipts(receiver.stdout)
    following = asyncio.create_task(receipts.follow())
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    try:
        async with (
            SqliteStore(folder / "bench.db") as store,
            httpx.AsyncClient(transport=webhook_transport(limits)) as client,
        ):
            await store.migrate()
            started = time.perf_counter()
            await queue(store, 0, count)
            print(f"queued {count} alerts in {time.perf_counter() - started:.2f} s")
            await deliver(store, client, url, receipts, count, samples, concurrency)
    finally:
        receiver.kill()
        await receiver.wait()
        following.cancel()


async def deliver(
    store: SqliteStore,
    client: httpx.AsyncClient,
    url: str,
    receipts: Receipts,
    count: int,
    samples: int,
    concurrency: int,
) -> None:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    hook = build_notifier(
        WebhookSettings("bench", url, secrets=(SECRET,)), client=client, clock=clock
    )
    worker = Dispatcher(
        store,
        {"bench": hook},
        {"bench": DeliveryPolicy(digest_threshold=10**9)},
        clock=clock,
        rng=random.Random(1),
        owner="bench",
        batch=200,
        concurrency=concurrency,
    )
    stop = asyncio.Event()
    receipts.expected = count
    started, cpu = time.perf_counter(), time.process_time()
    running = asyncio.create_task(worker.run(stop))
    await receipts.enough.wait()
    elapsed = time.perf_counter() - started
    while await store.outbox_depth():
        await asyncio.sleep(0.01)
    settled, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"throughput: {count} deliveries in {elapsed:.2f} s = {count / elapsed:.0f}/s "
        f"(concurrency {concurrency}; all marked delivered after {settled:.2f} s; "
        f"{receipts.requests} requests)"
    )
    print(
        f"sender CPU: {cpu:.2f} s for {count} deliveries = {cpu / count * 1000:.3f} ms each, "
        f"{count / cpu:.0f} deliveries per CPU-second (load average {os.getloadavg()[0]:.1f})"
    )
    latencies = await idle_latency(store, worker, receipts, count, samples)
    stop.set()
    await running
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(
        f"idle enqueue-to-receipt over {samples} alerts: p50 {p50 * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )


async def idle_latency(
    store: SqliteStore, worker: Dispatcher, receipts: Receipts, start: int, samples: int
) -> list[float]:
    """Ingest one alert at a time into the idle dispatcher; time it to the receiver."""
    rng = random.Random(2)
    latencies: list[float] = []
    for n in range(start, start + samples):
        await asyncio.sleep(rng.uniform(0.005, 0.03))  # the dispatcher is idle again
        queued = time.perf_counter()
        outcome = await store.ingest(batch_of(range(n, n + 1), datetime.now(UTC), first=False))
        worker.wake()
        latencies.append(await receipts.wait_for(f"msg_{outcome.alerts[0].id}_bench") - queued)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4, help="sends and connections")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--down-until", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.down_until))
        return
    # As the daemon runs by default (log_level: info): no per-delivery debug lines.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(args.count, args.samples, args.concurrency, Path(folder)))


if __name__ == "__main__":
    main()
