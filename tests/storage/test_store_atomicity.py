"""Contract: an ingest that fails at any point leaves nothing behind."""

from __future__ import annotations

import pytest

from tests.storage.conftest import MakeStore
from tests.storage.storecase import FEED_A, HOUR, T0, alerting, batch, item, polled_once
from wirewatch.storage import FeedState, IngestBatch, Novelty

POINTS = ("ingest.items", "ingest.alerts", "ingest.commit")


class Crash(Exception):
    pass


class FaultAt:
    """A fault hook that fails once at one named point of a transaction."""

    def __init__(self, point: str) -> None:
        self.point = point
        self.armed = False
        self.seen: list[str] = []

    def __call__(self, point: str) -> None:
        self.seen.append(point)
        if self.armed and point == self.point:
            self.armed = False
            raise Crash(point)


@pytest.mark.parametrize("point", POINTS)
async def test_crash_mid_ingest_writes_nothing(make_store: MakeStore, point: str) -> None:
    """A failure after any step rolls back items, seen ids, alerts, outbox and feed state."""
    fault = FaultAt(point)
    store = await make_store(faults=fault)
    await polled_once(store)
    fault.armed = True
    state = FeedState(key=FEED_A, etag='"new"')
    doomed = IngestBatch(FEED_A, T0, (alerting(item("a1")),), feed_state=state)

    with pytest.raises(Crash):
        await store.ingest(doomed)

    saved = await store.get_feed_state(FEED_A)
    assert saved is not None
    assert (None, T0 - HOUR) == (saved.etag, saved.first_polled)
    assert {"a1": Novelty.NEW} == await store.novelty(FEED_A, [item("a1")])
    assert ([], [], [], []) == (
        await store.stored_items(T0 - 2 * HOUR),
        await store.recent_alerts(T0 - 2 * HOUR),
        await store.recent_stories(T0 - 2 * HOUR),
        await store.list_deliveries(),
    )


@pytest.mark.parametrize("point", POINTS)
async def test_ingest_after_a_crash_writes_everything(make_store: MakeStore, point: str) -> None:
    """The same batch retried after the failure is written whole, once."""
    fault = FaultAt(point)
    store = await make_store(faults=fault)
    await polled_once(store)
    fault.armed = True
    with pytest.raises(Crash):
        await store.ingest(batch(alerting(item("a1"))))

    outcome = await store.ingest(batch(alerting(item("a1"))))

    assert (1, 1, 1) == (outcome.new, outcome.alerts_created, await store.outbox_depth())


async def test_every_fault_point_is_reached(make_store: MakeStore) -> None:
    """The suite's fault points are the ones a store really passes through."""
    fault = FaultAt("")
    store = await make_store(faults=fault)
    await polled_once(store)
    fault.seen.clear()
    await store.ingest(batch(alerting(item("a1"))))
    assert list(POINTS) == fault.seen
