"""Contract: destination health (paused notifiers are not claimed), digest fellows, summaries,
expiry, releases and bulk requeues."""

from __future__ import annotations

from datetime import timedelta

from tests.storage.storecase import T0
from tests.storage.test_store_outbox import LATER, LEASE, queue
from wirewatch.storage import DeliveryState, NotifierHealth, OutboxSummary, Store


def paused(notifier: str, until: timedelta, *, error: str = "HTTP 503") -> NotifierHealth:
    return NotifierHealth(notifier, True, 1, error, T0, LATER + until, LATER)


async def claim(store: Store, limit: int = 100, at: timedelta = timedelta(0)) -> list[str]:
    rows = await store.claim_deliveries(LATER + at, limit=limit, lease_seconds=LEASE, owner="w1")
    return sorted(r.id for r in rows)


async def test_health_round_trips_and_is_replaced(store: Store) -> None:
    """What is saved for a notifier is read back as saved; saving again replaces it."""
    first = paused("hook", timedelta(seconds=30))
    await store.save_notifier_health(first)
    recovered = NotifierHealth("hook", False, 0, "HTTP 503", None, None, LATER)
    assert [first] == await store.notifier_health()
    await store.save_notifier_health(recovered)
    assert [recovered] == await store.notifier_health()


async def test_a_paused_notifier_is_not_claimed_until_its_probe(store: Store) -> None:
    """While probe_at is ahead, none of the notifier's rows is claimed; others are."""
    await queue(store, 2, destinations=("down", "fine"))
    await store.save_notifier_health(paused("down", timedelta(seconds=30)))
    now = await store.claim_deliveries(LATER, limit=10, lease_seconds=LEASE, owner="w1")
    assert {"fine"} == {r.notifier for r in now}
    later = await store.claim_deliveries(
        LATER + timedelta(seconds=30), limit=10, lease_seconds=LEASE, owner="w1"
    )
    assert ["down", "down"] == [r.notifier for r in later if r.notifier == "down"]


async def test_a_retried_digest_is_claimed_whole(store: Store) -> None:
    """A claim that takes one row of a digest takes the digest's other open rows too."""
    await queue(store, 4)
    rows = await store.list_deliveries()
    for row in rows[:3]:
        await store.reschedule(row.id, due_at=LATER, error="x", attempt=1, digest_id="msg_d1")
    await store.reschedule(rows[3].id, due_at=LATER + (LATER - T0), error="x", attempt=1)
    claimed = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w1")
    assert sorted(r.id for r in rows[:3]) == sorted(r.id for r in claimed)
    assert {"msg_d1"} == {r.digest_id for r in claimed}


async def test_release_frees_the_lease_and_nothing_else(store: Store) -> None:
    """Released rows are claimable again at once, pending and with no attempt spent."""
    await queue(store, 2)
    ids = await claim(store)
    await store.release(ids)
    rows = await store.list_deliveries()
    assert [(DeliveryState.PENDING, 0, None)] * 2 == [
        (r.state, r.attempts, r.lease_owner) for r in rows
    ]
    assert ids == await claim(store)


async def test_expire_dead_letters_only_old_open_rows_of_one_notifier(store: Store) -> None:
    """Rows created before the cutoff for that notifier die; delivered and others stay."""
    await queue(store, 3, destinations=("down", "fine"))
    down = [r for r in await store.list_deliveries() if r.notifier == "down"]
    await store.mark_delivered(down[0].id, LATER)
    assert 0 == await store.expire_deliveries("down", T0 - timedelta(seconds=1), "too old")
    assert 2 == await store.expire_deliveries("down", T0, "too old")
    states = sorted((r.notifier, r.state.value) for r in await store.list_deliveries())
    assert [("down", "dead")] * 2 + [("down", "delivered")] + [("fine", "pending")] * 3 == states


async def test_summary_counts_states_and_the_oldest_open_row(store: Store) -> None:
    """One line per notifier: counts by state and when its oldest open row was created."""
    await queue(store, 3, destinations=("a", "b"))
    a = [r for r in await store.list_deliveries() if r.notifier == "a"]
    await store.dead_letter(a[0].id, "gone")
    await store.reschedule(a[1].id, due_at=LATER, error="x", attempt=1)
    b = [r.id for r in await store.list_deliveries() if r.notifier == "b"]
    await store.mark_delivered_many(b, LATER)
    summary = await store.outbox_summary()
    assert [
        OutboxSummary("a", pending=1, failed=1, dead=1, oldest_open=T0),
        OutboxSummary("b", delivered=3),
    ] == summary


async def test_requeue_by_state_and_notifier(store: Store) -> None:
    """requeue(states=[failed], notifier=...) takes only that notifier's failed rows."""
    await queue(store, 2, destinations=("a", "b"))
    for row in await store.list_deliveries():
        await store.reschedule(row.id, due_at=LATER + timedelta(hours=1), error="x", attempt=3)
    count = await store.requeue(LATER, states=[DeliveryState.FAILED], notifier="a")
    assert 2 == count
    rows = await store.list_deliveries()
    assert [("a", "pending", 0)] * 2 + [("b", "failed", 3)] * 2 == sorted(
        (r.notifier, r.state.value, r.attempts) for r in rows
    )
    assert 2 == await store.requeue(LATER, states=[DeliveryState.FAILED, DeliveryState.DEAD])
