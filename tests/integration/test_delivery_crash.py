"""Crash safety: a dispatcher stopped mid-delivery (cancelled, or its process SIGKILLed) loses
nothing; after a restart every alert arrives, and a repeat carries the same delivery id."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import REPO
from tests.notify.scenarios import SECRET
from tests.notify.servers import Receiver
from tests.storage.storecase import T0, alerting, batch, item, verdict
from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.notify.base import Message
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.storage import DeliveryState, Store
from wirewatch.testing import RecordingNotifier

pytestmark = pytest.mark.integration

HOOK = "hook"
POLICIES = {HOOK: DeliveryPolicy(digest_threshold=10_000)}
AFTER_LEASE = timedelta(minutes=2)

DOOMED = """
import asyncio, random, sys
from datetime import UTC, datetime
import httpx
from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.storage.sqlite import SqliteStore

async def main(db, url, secret):
    clock = lambda: datetime.now(UTC)
    async with SqliteStore(db) as store, httpx.AsyncClient() as client:
        hook = build_notifier(WebhookSettings("hook", url, secrets=(secret,)), client=client, clock=clock)
        policies = {"hook": DeliveryPolicy(digest_threshold=10_000)}
        worker = Dispatcher(store, {"hook": hook}, policies, clock=clock, rng=random.Random(),
                            owner="doomed", batch=4, concurrency=2)
        await worker.run(asyncio.Event())

asyncio.run(main(*sys.argv[1:]))
"""


async def queue(store: Store, count: int, at: datetime = T0) -> list[str]:
    """Queue `count` alerts for HOOK; return their delivery ids."""
    items = [alerting(item(f"c{n:03}"), verdict(destinations=(HOOK,))) for n in range(count)]
    await store.ingest(batch(*items, now=at, backfill=True))
    return sorted(r.id for r in await store.list_deliveries())


class Stalling:
    """Delivers the first `count` messages, then hangs on every send (a dying process)."""

    name = HOOK

    def __init__(self, count: int) -> None:
        self.count = count
        self.sent: list[str] = []
        self.stalled = asyncio.Event()

    async def send(self, message: Message) -> None:
        if len(self.sent) >= self.count:
            self.stalled.set()
            await asyncio.Event().wait()
        self.sent.append(message.delivery_id)


async def test_a_cancelled_run_loses_nothing_and_keeps_the_ids(store: Store) -> None:
    """Cancel `run` mid-delivery; a new dispatcher later sends the rest under the same ids."""
    ids = await queue(store, 12)
    stalling = Stalling(5)
    first = Dispatcher(
        store, {HOOK: stalling}, POLICIES, clock=lambda: T0, rng=random.Random(1), owner="a"
    )
    running = asyncio.create_task(first.run(asyncio.Event()))
    async with asyncio.timeout(2.0):
        await stalling.stalled.wait()
        while len(await store.list_deliveries(DeliveryState.DELIVERED)) < stalling.count:
            await asyncio.sleep(0.01)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    delivered = {r.id for r in await store.list_deliveries(DeliveryState.DELIVERED)}
    assert set(stalling.sent) == delivered
    assert 5 == len(delivered)

    recording = RecordingNotifier(HOOK)
    second = Dispatcher(
        store,
        {HOOK: recording},
        POLICIES,
        clock=lambda: T0 + AFTER_LEASE,
        rng=random.Random(2),
        owner="b",
    )
    while await second.run_once():
        pass
    again = [m.delivery_id for m in recording.sent]
    assert ids == sorted(set(stalling.sent) | set(again))
    assert sorted(set(ids) - delivered) == sorted(again)
    assert 0 == await store.outbox_depth()


async def test_a_killed_process_loses_nothing_and_repeats_carry_the_same_webhook_id(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    """SIGKILL a delivering process; a second run finishes; every alert arrived, signed, and
    each alert only ever under one `webhook-id`."""
    now = datetime.now(UTC)
    ids = await queue(store, 40, at=now)
    for _ in ids:
        receiver.reply(204, delay=0.02)
    doomed = subprocess.Popen(
        [sys.executable, "-c", DOOMED, str(tmp_path / "wirewatch.db"), receiver.url, SECRET],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 4.0
        while receiver.requests.qsize() < 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=5)
    assert 8 <= receiver.requests.qsize()
    assert 0 < await store.outbox_depth()

    clock = lambda: datetime.now(UTC) + AFTER_LEASE  # noqa: E731  the restart comes later
    async with httpx.AsyncClient() as client:
        settings = WebhookSettings(HOOK, receiver.url, secrets=(SECRET,))
        hook = build_notifier(settings, client=client, clock=clock)
        second = Dispatcher(
            store,
            {HOOK: hook},
            POLICIES,
            clock=clock,
            rng=random.Random(3),
            owner="restart",
            concurrency=4,  # the test receiver's listen backlog is 5
        )
        while await second.run_once():
            pass
    assert 0 == await store.outbox_depth()

    verifier = Webhook(SECRET)
    ids_by_alert: dict[str, set[str]] = defaultdict(set)
    for request in receiver.received():
        body = json.loads(verifier.verify(request.body, request.headers) and request.body)
        ids_by_alert[body["alert_id"]].add(request.headers["webhook-id"])
    assert ids == sorted(webhook_id for seen in ids_by_alert.values() for webhook_id in seen)
    assert {1} == {len(seen) for seen in ids_by_alert.values()}
    assert all(f"msg_{alert}_{HOOK}" in seen for alert, seen in ids_by_alert.items())
