"""Recovery after a receiver outage: how soon the backlog is delivered once it is back.

    .venv/bin/python benchmarks/outage.py simulated [--outage 600] [--backlog 1000]
    .venv/bin/python benchmarks/outage.py real [--outage 180] [--every 1.0]

simulated: a `--outage`-second outage on a shifted clock. A dispatcher probes a dead port on
127.0.0.1 (connection refused) while `--backlog` alerts are queued, spread over the outage;
time jumps from probe to probe. At the end the receiver (in its own process) is up and a
dispatcher on the same store carries on in real time from that moment: the figure is the real
time from recovery until every alert has arrived (next probe, then the drain). Target: at most
60 s with the default retry policy (`max_backoff` 60 s).

real: the receiver answers 503 for `--outage` seconds of real time while one alert is queued
every `--every` seconds; then it answers 204. Reports the time from recovery to the last
alert, alerts answered 2xx twice, and dead letters (the issue's 3-minute test, full length).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import random
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import structlog

from deliver import Receipts, batch_of
from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.parts import webhook_transport
from wirewatch.storage import DeliveryState
from wirewatch.storage.sqlite import SqliteStore

HOOK = "bench"
POLICY = DeliveryPolicy(digest_threshold=10**9)
"""Default retry policy; no flood digests, so each alert is one request (the worst case)."""
DELIVER = Path(__file__).with_name("deliver.py")


class ShiftedClock:
    """Real time plus an offset that the simulation moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def dispatcher(
    store: SqliteStore, client: httpx.AsyncClient, url: str, clock: Callable[[], datetime]
) -> Dispatcher:
    hook = build_notifier(WebhookSettings(HOOK, url, timeout=5), client=client, clock=clock)
    return Dispatcher(
        store, {HOOK: hook}, {HOOK: POLICY}, clock=clock, rng=random.Random(), owner="bench"
    )


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_receiver(down_for: float = 0.0) -> tuple[asyncio.subprocess.Process, str]:
    receiver = await asyncio.create_subprocess_exec(
        sys.executable,
        str(DELIVER),
        "--serve",
        "--down-until",
        str(time.time() + down_for),
        stdout=asyncio.subprocess.PIPE,
    )
    assert receiver.stdout is not None
    return receiver, f"http://127.0.0.1:{int(await receiver.stdout.readline())}/hooks"


async def simulated(outage: float, backlog: int, folder: Path) -> None:
    clock = ShiftedClock()
    transport = webhook_transport()
    async with (
        SqliteStore(folder / "outage.db") as store,
        httpx.AsyncClient(transport=transport) as client,
    ):
        await store.migrate()
        probes = await simulate_outage(store, client, clock, outage, backlog)
        receiver, url = await start_receiver()
        assert receiver.stdout is not None
        receipts = Receipts(receiver.stdout)
        receipts.expected = backlog
        following = asyncio.create_task(receipts.follow())
        [health] = await store.notifier_health()
        assert health.probe_at is not None
        wait = (health.probe_at - clock()).total_seconds()
        try:
            elapsed = await drain(store, client, url, clock, receipts)
        finally:
            receiver.kill()
            await receiver.wait()
            following.cancel()
        dead = len(await store.list_deliveries(DeliveryState.DEAD))
    gaps = [b - a for a, b in itertools.pairwise(probes)]
    print(
        f"simulated {outage:.0f} s outage: {len(probes)} probes, at most {max(gaps):.1f} s apart; "
        f"{backlog} alerts queued during it"
    )
    print(
        f"after recovery: next probe due in {wait:.1f} s; all {backlog} delivered after "
        f"{elapsed:.1f} s (target <= 60 s); {receipts.accepted - len(receipts.seen)} repeats, "
        f"{dead} dead"
    )


async def simulate_outage(
    store: SqliteStore,
    client: httpx.AsyncClient,
    clock: ShiftedClock,
    outage: float,
    backlog: int,
) -> list[float]:
    """Probe a dead port through `outage` seconds of shifted time; return the probe times."""
    worker = dispatcher(store, client, f"http://127.0.0.1:{dead_port()}/hooks", clock)
    start = clock()
    chunks = 20
    queued, probes = 0, []
    while (elapsed := (clock() - start).total_seconds()) < outage:
        due = min(backlog, backlog * (int(elapsed / outage * chunks) + 1) // chunks)
        if due > queued:
            await store.ingest(batch_of(range(queued, due), clock(), first=queued == 0))
            queued = due
        before = worker.stats.retried + worker.stats.dead
        await worker.run_once()
        if worker.stats.retried + worker.stats.dead > before:
            probes.append(elapsed)
        probe_at = next((h.probe_at for h in await store.notifier_health()), None)
        step = (probe_at - clock()).total_seconds() if probe_at else 1.0
        step = min(step, outage / chunks, outage - (clock() - start).total_seconds())
        clock.offset += timedelta(seconds=max(0.0, step))
    if queued < backlog:
        await store.ingest(batch_of(range(queued, backlog), clock(), first=queued == 0))
    return probes


async def drain(
    store: SqliteStore,
    client: httpx.AsyncClient,
    url: str,
    clock: Callable[[], datetime],
    receipts: Receipts,
) -> float:
    """Run a dispatcher to the live receiver until every alert arrived; return the seconds."""
    worker = dispatcher(store, client, url, clock)
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run(stop))
    await receipts.enough.wait()
    elapsed = time.perf_counter() - started
    while await store.outbox_depth():
        await asyncio.sleep(0.05)
    stop.set()
    await running
    return elapsed


async def real(outage: float, every: float, folder: Path) -> None:
    receiver, url = await start_receiver(down_for=outage)
    assert receiver.stdout is not None
    back_at = time.perf_counter() + outage
    receipts = Receipts(receiver.stdout)
    following = asyncio.create_task(receipts.follow())
    clock = ShiftedClock()
    try:
        async with (
            SqliteStore(folder / "real.db") as store,
            httpx.AsyncClient(transport=webhook_transport()) as client,
        ):
            await store.migrate()
            count = 0
            worker = dispatcher(store, client, url, clock)
            stop = asyncio.Event()
            running = asyncio.create_task(worker.run(stop))
            while time.perf_counter() < back_at:
                await store.ingest(batch_of(range(count, count + 1), clock(), first=count == 0))
                count += 1
                worker.wake()
                await asyncio.sleep(every)
            receipts.expected = count
            if len(receipts.seen) < count:
                receipts.enough.clear()
                await receipts.enough.wait()
            last = max(receipts.seen.values()) - back_at
            while await store.outbox_depth():
                await asyncio.sleep(0.05)
            stop.set()
            await running
            dead = len(await store.list_deliveries(DeliveryState.DEAD))
    finally:
        receiver.kill()
        await receiver.wait()
        following.cancel()
    print(
        f"real {outage:.0f} s outage, {count} alerts queued during it: last delivered "
        f"{last:.1f} s after recovery (target <= 60 s); {receipts.refused} requests refused; "
        f"{receipts.accepted - len(receipts.seen)} repeats answered 2xx; {dead} dead"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["simulated", "real"])
    parser.add_argument("--outage", type=float, help="seconds (default 600, real: 180)")
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--every", type=float, default=1.0)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    with tempfile.TemporaryDirectory() as folder:
        if args.mode == "simulated":
            asyncio.run(simulated(args.outage or 600.0, args.backlog, Path(folder)))
        else:
            asyncio.run(real(args.outage or 180.0, args.every, Path(folder)))


if __name__ == "__main__":
    main()
