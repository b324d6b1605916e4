"""Contract: the outbox (claims and leases, delivered, rescheduled, dead, requeued)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.storage.storecase import T0, alerting, batch, item, polled_once, verdict
from wirewatch.storage import DeliveryState, Store

LEASE = 30.0
LATER = T0 + timedelta(minutes=1)


async def queue(store: Store, count: int, destinations: tuple[str, ...] = ("hook",)) -> None:
    """Queue `count` alerts at T0, each to every destination."""
    await polled_once(store)
    items = [alerting(item(f"a{n:03}"), verdict(destinations=destinations)) for n in range(count)]
    await store.ingest(batch(*items))


async def test_claim_leases_due_rows(store: Store) -> None:
    """A claim returns due rows, oldest first, leased to the claimer."""
    await queue(store, 3)
    claimed = await store.claim_deliveries(LATER, limit=2, lease_seconds=LEASE, owner="w1")
    assert 2 == len(claimed)
    assert [("w1", LATER + timedelta(seconds=LEASE))] * 2 == [
        (r.lease_owner, r.lease_until) for r in claimed
    ]
    assert [(0, DeliveryState.PENDING, "alert.created")] * 2 == [
        (r.attempts, r.state, r.event) for r in claimed
    ]


async def test_leased_rows_are_not_claimed_twice(store: Store) -> None:
    """While a lease holds, another owner gets nothing."""
    await queue(store, 2)
    await store.claim_deliveries(LATER, limit=10, lease_seconds=LEASE, owner="w1")
    again = await store.claim_deliveries(LATER, limit=10, lease_seconds=LEASE, owner="w2")
    assert [] == again


async def test_expired_lease_is_reclaimed_by_another_owner(store: Store) -> None:
    """A lease not settled in time (a crashed worker) lets another owner claim the row."""
    await queue(store, 1)
    [first] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w1")
    after = LATER + timedelta(seconds=LEASE)
    [second] = await store.claim_deliveries(after, limit=1, lease_seconds=LEASE, owner="w2")
    assert (first.id, "w2") == (second.id, second.lease_owner)


async def test_concurrent_claims_share_rows_out_once(store: Store) -> None:
    """Owners claiming at the same time never get the same row."""
    await queue(store, 40)
    claims = await asyncio.gather(
        *(
            store.claim_deliveries(LATER, limit=7, lease_seconds=LEASE, owner=f"w{n}")
            for n in range(8)
        )
    )
    ids = [r.id for claim in claims for r in claim]
    assert (40, 40) == (len(ids), len(set(ids)))


async def test_not_due_rows_wait(store: Store) -> None:
    """A row due in the future is not claimed before its time."""
    await queue(store, 1)
    assert [] == await store.claim_deliveries(
        T0 - timedelta(seconds=1), limit=1, lease_seconds=LEASE, owner="w"
    )


async def test_mark_delivered(store: Store) -> None:
    """A delivered row leaves the queue for good."""
    await queue(store, 1)
    [row] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    await store.mark_delivered(row.id, LATER)
    far = LATER + timedelta(days=1)
    assert [] == await store.claim_deliveries(far, limit=1, lease_seconds=LEASE, owner="w")
    assert 0 == await store.outbox_depth()
    [done] = await store.list_deliveries(DeliveryState.DELIVERED)
    assert (row.id, LATER, None) == (done.id, done.delivered_at, done.lease_owner)


async def test_mark_delivered_many(store: Store) -> None:
    """The rows of one digest are delivered together; other rows are left as they were."""
    await queue(store, 3)
    rows = await store.claim_deliveries(LATER, limit=3, lease_seconds=LEASE, owner="w")
    await store.mark_delivered_many([rows[0].id, rows[1].id], LATER)
    states = {r.id: (r.state, r.delivered_at) for r in await store.list_deliveries()}
    assert {
        rows[0].id: (DeliveryState.DELIVERED, LATER),
        rows[1].id: (DeliveryState.DELIVERED, LATER),
        rows[2].id: (DeliveryState.PENDING, None),
    } == states
    assert 1 == await store.outbox_depth()


async def test_depth_by_notifier_counts_only_rows_still_to_deliver(store: Store) -> None:
    """Queued rows are counted per notifier; a delivered or dead row no longer counts."""
    await queue(store, 2, destinations=("hook", "mail"))
    rows = await store.claim_deliveries(LATER, limit=4, lease_seconds=LEASE, owner="w")
    hooks = [r for r in rows if r.notifier == "hook"]
    await store.mark_delivered(hooks[0].id, LATER)
    await store.dead_letter(hooks[1].id, "gave up")

    assert {"mail": 2} == await store.outbox_depth_by_notifier()


async def test_reschedule(store: Store) -> None:
    """A rescheduled row is failed, counts its attempt, and is due again at its time."""
    await queue(store, 1)
    [row] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    retry_at = LATER + timedelta(minutes=5)
    await store.reschedule(row.id, due_at=retry_at, error="HTTP 503", attempt=1)

    early = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    [again] = await store.claim_deliveries(retry_at, limit=1, lease_seconds=LEASE, owner="w")

    assert [] == early
    assert (row.id, DeliveryState.FAILED, 1, "HTTP 503", retry_at) == (
        again.id,
        again.state,
        again.attempts,
        again.last_error,
        again.due_at,
    )
    assert 1 == await store.outbox_depth()


async def test_postpone_keeps_the_state_and_the_attempts(store: Store) -> None:
    """A postponed row (rate limit, digest) stays pending, with a note, due at its time."""
    await queue(store, 2)
    first, second = await store.claim_deliveries(LATER, limit=2, lease_seconds=LEASE, owner="w")
    later = LATER + timedelta(minutes=5)
    await store.postpone(first.id, due_at=later, note="held for a digest")
    await store.reschedule(second.id, due_at=LATER, error="HTTP 503", attempt=1)
    [failed] = await store.claim_deliveries(LATER, limit=2, lease_seconds=LEASE, owner="w")
    await store.postpone(failed.id, due_at=later, note="held by the rate limit")

    rows = {
        r.id: r
        for r in await store.claim_deliveries(later, limit=2, lease_seconds=LEASE, owner="w2")
    }
    assert (DeliveryState.PENDING, 0, "held for a digest", later) == (
        rows[first.id].state,
        rows[first.id].attempts,
        rows[first.id].last_error,
        rows[first.id].due_at,
    )
    # A row that already failed stays failed and keeps its error: that is what to look into.
    assert (DeliveryState.FAILED, 1, "HTTP 503") == (
        rows[second.id].state,
        rows[second.id].attempts,
        rows[second.id].last_error,
    )


async def test_a_delivered_or_dead_row_is_not_postponed(store: Store) -> None:
    await queue(store, 2)
    done, dead = await store.claim_deliveries(LATER, limit=2, lease_seconds=LEASE, owner="w")
    await store.mark_delivered(done.id, LATER)
    await store.dead_letter(dead.id, "gone")
    await store.postpone(done.id, due_at=LATER, note="held")
    await store.postpone(dead.id, due_at=LATER, note="held")
    states = {r.id: (r.state, r.last_error) for r in await store.list_deliveries()}
    assert {done.id: (DeliveryState.DELIVERED, None), dead.id: (DeliveryState.DEAD, "gone")} == (
        states
    )


async def test_dead_letter_and_requeue(store: Store) -> None:
    """A dead row is not claimed until it is requeued, fresh and due now."""
    await queue(store, 1)
    [row] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    await store.dead_letter(row.id, "HTTP 404: not found")

    assert [] == await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    [dead] = await store.list_deliveries(DeliveryState.DEAD)
    assert (row.id, "HTTP 404: not found") == (dead.id, dead.last_error)

    assert 1 == await store.requeue(LATER, [row.id])
    [back] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    assert (row.id, 0, DeliveryState.PENDING, LATER) == (
        back.id,
        back.attempts,
        back.state,
        back.due_at,
    )


async def test_requeue_all_dead(store: Store) -> None:
    """Requeue without ids brings back every dead row and nothing else."""
    await queue(store, 3)
    rows = await store.claim_deliveries(LATER, limit=3, lease_seconds=LEASE, owner="w")
    await store.dead_letter(rows[0].id, "gone")
    await store.dead_letter(rows[1].id, "gone")
    await store.mark_delivered(rows[2].id, LATER)

    assert 2 == await store.requeue(LATER)
    assert 2 == len(await store.list_deliveries(DeliveryState.PENDING))


async def test_requeue_leaves_delivered_rows_alone(store: Store) -> None:
    """A delivered row cannot be requeued, rescheduled or dead-lettered."""
    await queue(store, 1)
    [row] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    await store.mark_delivered(row.id, LATER)

    await store.reschedule(row.id, due_at=LATER, error="late failure", attempt=2)
    await store.dead_letter(row.id, "late failure")

    assert 0 == await store.requeue(LATER, [row.id])
    [done] = await store.list_deliveries()
    assert (DeliveryState.DELIVERED, None) == (done.state, done.last_error)


async def test_delivery_carries_the_alert_to_send(store: Store) -> None:
    """A claimed row rebuilds the alert as it was created."""
    await polled_once(store)
    outcome = await store.ingest(batch(alerting(item("a1"))))
    [row] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    assert (outcome.alerts[0], "hook", T0) == (row.alert, row.notifier, row.created_at)


async def test_list_deliveries_by_state(store: Store) -> None:
    """Deliveries list by state, or all of them."""
    await queue(store, 2, destinations=("hook", "mail"))
    [row] = await store.claim_deliveries(LATER, limit=1, lease_seconds=LEASE, owner="w")
    await store.reschedule(row.id, due_at=LATER, error="timeout", attempt=1)
    assert (4, 3, [row.id]) == (
        len(await store.list_deliveries()),
        len(await store.list_deliveries(DeliveryState.PENDING)),
        [r.id for r in await store.list_deliveries(DeliveryState.FAILED)],
    )
