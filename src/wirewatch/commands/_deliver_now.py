"""`poll --once --deliver`: send what a poll queued, and wait for it, with a timeout.

The same dispatcher as the daemon's (destination health, retries, rate limits, digests), run
until every delivery of the alerts just created is settled or `timeout` seconds have passed.
What is still queued then stays in the outbox for the daemon or the next run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass

from wirewatch.delivery.dispatch import Dispatcher
from wirewatch.storage import DeliveryRecord, DeliveryState, Store

OPEN = (DeliveryState.PENDING, DeliveryState.FAILED)


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    """The last line `poll --once` writes about deliveries, and how many are still queued."""

    line: str
    left: int


async def open_rows(store: Store, alert_ids: Collection[str]) -> list[DeliveryRecord]:
    """The pending or failed deliveries of these alerts (all open rows when empty)."""
    rows = [r for state in OPEN for r in await store.list_deliveries(state, limit=100_000)]
    return [r for r in rows if not alert_ids or r.alert_id in alert_ids]


async def deliver(
    store: Store, dispatcher: Dispatcher, alert_ids: Collection[str], timeout: float
) -> DeliverySummary:
    """Run the dispatcher until these alerts' deliveries are settled or `timeout` passes."""
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and await open_rows(store, alert_ids):
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await dispatcher.drain(5.0)
        await running
    left = len(await open_rows(store, alert_ids))
    stats = dispatcher.stats
    line = f"delivered {stats.delivered}, dead-lettered {stats.dead}, still queued {left}"
    if left:
        line += f" after {timeout:g} s (left for the daemon)"
    if dispatcher.failing:
        line += f"; failing: {', '.join(dispatcher.failing)}"
    return DeliverySummary(line, left)
