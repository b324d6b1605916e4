"""Delivery through receiver trouble, with a real local receiver and real time (scaled down:
the issue's 3-minute outage and 60 s backoff cap become OUTAGE and MAX_BACKOFF here;
benchmarks/deliver.py runs the real durations):

- an outage: every alert arrives soon after recovery, none twice with a 2xx, none dead;
- a 429 with Retry-After: no request reaches that destination inside the window;
- a receiver slower than the timeout: no alert arrives under two delivery ids.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from tests.notify.servers import Received, Receiver, Reply
from tests.storage.storecase import alerting, batch, item, verdict
from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.parts import webhook_transport
from wirewatch.storage import DeliveryState, Store

pytestmark = pytest.mark.integration

HOOK = "hook"
OUTAGE = 3.0
MAX_BACKOFF = 1.0
RECOVERY_SLACK = 1.5
"""Seconds beyond MAX_BACKOFF for the backlog to drain once the probe succeeds."""


@dataclass
class Log:
    """What the receiver answered: (webhook-id, alert ids in the body, status, when)."""

    answers: list[tuple[str, tuple[str, ...], int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, received: Received, status: int) -> None:
        body = json.loads(received.body)
        alerts = tuple(a["alert_id"] for a in body.get("alerts", [body]))
        with self.lock:
            self.answers.append((received.headers["webhook-id"], alerts, status, received.at))

    def delivered(self) -> dict[str, float]:
        """Alert id -> when a 2xx first carried it."""
        first: dict[str, float] = {}
        for _, alerts, status, at in self.answers:
            for alert in alerts if 200 <= status < 300 else ():
                first.setdefault(alert, at)
        return first


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[Received], Reply]], Receiver]]:
    started: list[Receiver] = []

    def start(respond: Callable[[Received], Reply]) -> Receiver:
        started.append(Receiver(respond).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


async def queue(store: Store, first: int, count: int) -> None:
    numbers = range(first, first + count)
    items = [alerting(item(f"i{n:04}"), verdict(destinations=(HOOK,))) for n in numbers]
    await store.ingest(batch(*items, now=datetime.now(UTC), backfill=True))


async def run_dispatcher(
    store: Store, url: str, policy: DeliveryPolicy, *, timeout: float = 5.0
) -> AsyncIterator[Dispatcher]:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    async with httpx.AsyncClient(transport=webhook_transport()) as client:
        hook = build_notifier(
            WebhookSettings(HOOK, url, timeout=timeout), client=client, clock=clock
        )
        worker = Dispatcher(
            store, {HOOK: hook}, {HOOK: policy}, clock=clock, rng=random.Random(3), owner="t"
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            yield worker
        finally:
            stop.set()
            await running


async def settled(store: Store, deadline: float) -> None:
    """Wait until nothing is left to deliver (or the deadline passes)."""
    while time.monotonic() < deadline and await store.outbox_depth():
        await asyncio.sleep(0.05)


async def test_after_an_outage_every_alert_arrives_soon_and_once(
    store: Store, serve: Callable[[Callable[[Received], Reply]], Receiver]
) -> None:
    """Alerts queued before and during an outage all arrive within MAX_BACKOFF (plus the
    drain) of recovery; no delivery id is answered 2xx twice; nothing is dead-lettered."""
    log = Log()
    back_at = time.monotonic() + OUTAGE

    def respond(received: Received) -> Reply:
        status = 503 if received.at < back_at else 204
        log.note(received, status)
        return Reply(status)

    receiver = serve(respond)
    policy = DeliveryPolicy(max_backoff=MAX_BACKOFF)  # default flood control: threshold 10
    queued = 0
    async for worker in aiter_one(run_dispatcher(store, receiver.url, policy)):
        while time.monotonic() < back_at - 0.3:  # alerts keep coming during the outage
            await queue(store, queued, 3)
            queued += 3
            worker.wake()
            await asyncio.sleep(0.25)
        await settled(store, back_at + MAX_BACKOFF + RECOVERY_SLACK + 5)
    delivered = log.delivered()
    assert queued == len(delivered)
    assert max(delivered.values()) - back_at <= MAX_BACKOFF + RECOVERY_SLACK
    ok_ids = [wid for wid, _, status, _ in log.answers if 200 <= status < 300]
    assert len(ok_ids) == len(set(ok_ids))
    assert [] == await store.list_deliveries(DeliveryState.DEAD)
    failed = [a for a in log.answers if a[2] == 503]
    assert len(failed) <= OUTAGE / 0.5 + 2  # probes, not a retry storm


async def test_retry_after_keeps_every_request_out_of_the_window(
    store: Store, serve: Callable[[Callable[[Received], Reply]], Receiver]
) -> None:
    """After a 429 with Retry-After: 2, no request reaches the destination for 2 s."""
    log = Log()

    def respond(received: Received) -> Reply:
        first = not log.answers
        log.note(received, 429 if first else 204)
        return Reply(429, headers={"Retry-After": "2"}) if first else Reply(204)

    receiver = serve(respond)
    await queue(store, 0, 1)
    policy = DeliveryPolicy(digest_threshold=1000, max_backoff=MAX_BACKOFF)
    async for worker in aiter_one(run_dispatcher(store, receiver.url, policy)):
        while not log.answers:
            await asyncio.sleep(0.01)
        await queue(store, 1, 20)
        worker.wake()
        await settled(store, time.monotonic() + 10)
    limited_at = log.answers[0][3]
    later = [at - limited_at for _, _, _, at in log.answers[1:]]
    assert 21 == len(later)  # the limited alert again, and the 20 queued after it
    assert min(later) >= 2.0


async def test_a_slow_receiver_never_sees_an_alert_under_two_ids(
    store: Store, serve: Callable[[Callable[[Received], Reply]], Receiver]
) -> None:
    """A receiver that answers after the sender's timeout still gets each alert under one
    webhook-id only: timed-out digests are retried as the same digest, singles alone."""
    log = Log()
    slow_until = time.monotonic() + 2.0

    def respond(received: Received) -> Reply:
        log.note(received, 204)
        return Reply(204, delay=0.6 if received.at < slow_until else 0.0)

    receiver = serve(respond)
    policy = DeliveryPolicy(digest_threshold=5, digest_window=0.5, max_backoff=MAX_BACKOFF)
    async for worker in aiter_one(run_dispatcher(store, receiver.url, policy, timeout=0.3)):
        for first in range(0, 40, 8):
            await queue(store, first, 8)
            worker.wake()
            await asyncio.sleep(0.3)
        await settled(store, time.monotonic() + 15)
    ids_of: dict[str, set[str]] = defaultdict(set)
    for webhook_id, alerts, _, _ in log.answers:
        for alert in alerts:
            ids_of[alert].add(webhook_id)
    assert 40 == len(ids_of)
    assert {} == {alert: ids for alert, ids in ids_of.items() if len(ids) > 1}
    assert 0 == await store.outbox_depth()


async def aiter_one(context: AsyncIterator[Dispatcher]) -> AsyncIterator[Dispatcher]:
    """Run the body of an `async for` once inside `context`, then close it."""
    try:
        yield await anext(context)
    finally:
        await context.aclose()
