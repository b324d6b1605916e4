"""The dispatcher's destination health: pauses, probes, release of the backlog, Retry-After,
one id per alert across retries, and retries outside flood control."""

from __future__ import annotations

from datetime import timedelta

from tests.storage.storecase import T0
from tests.test_dispatch import HOOK, NO_DIGEST, clock, dispatcher, queue, rows
from wirewatch.delivery.dispatch import DeliveryPolicy
from wirewatch.errors import DeliveryError
from wirewatch.storage import DeliveryState, Store
from wirewatch.testing import FixedClock, RecordingNotifier

__all__ = ["clock"]  # a fixture

DOWN = DeliveryError("HTTP 503", retryable=True)


def tick(clock: FixedClock, seconds: float) -> None:
    clock.now += timedelta(seconds=seconds)


async def test_a_failure_pauses_the_whole_destination_until_its_probe(
    store: Store, clock: FixedClock
) -> None:
    """After one failed send, no row of that destination is tried before the next probe, and
    rows queued meanwhile spend no attempt."""
    await queue(store, 1)
    hook = RecordingNotifier(HOOK, [DOWN])
    worker = dispatcher(store, clock, hook)
    await worker.run_once()
    [health] = await store.notifier_health()
    assert health.failing and health.probe_at is not None
    await queue(store, 5, at=clock.now, first=10)
    tick(clock, 0.5)
    await worker.run_once()
    assert 1 == len(hook.attempts)
    assert [0] * 5 == [r.attempts for r in await rows(store, DeliveryState.PENDING)]


async def test_one_probe_then_the_backlog_at_once(store: Store, clock: FixedClock) -> None:
    """At probe time one message goes out; once it succeeds, every waiting row follows."""
    await queue(store, 1)
    hook = RecordingNotifier(HOOK, [DOWN, DOWN])
    worker = dispatcher(store, clock, hook)
    await worker.run_once()
    await queue(store, 4, at=clock.now, first=10)
    tick(clock, 60)
    await worker.run_once()  # the probe fails: only one send
    assert 2 == len(hook.attempts)
    tick(clock, 60)
    await worker.run_once()  # the probe succeeds, the others were released
    await worker.run_once()
    assert 5 == len(hook.sent)
    assert [] == await rows(store, DeliveryState.PENDING) + await rows(store, DeliveryState.FAILED)
    [health] = await store.notifier_health()
    assert (False, 0, None) == (health.failing, health.failures, health.probe_at)


async def test_probes_are_never_more_than_max_backoff_apart(
    store: Store, clock: FixedClock
) -> None:
    """However long the outage, the next probe is due within max_backoff, and a row is not
    given up by attempts (only by age)."""
    await queue(store, 1)
    policy = DeliveryPolicy(digest_threshold=1000, max_backoff=30)
    hook = RecordingNotifier(HOOK, [DOWN] * 40)
    worker = dispatcher(store, clock, hook, policy)
    for _ in range(40):
        await worker.run_once()
        [health] = await store.notifier_health()
        assert health.probe_at is not None
        assert clock.now < health.probe_at <= clock.now + timedelta(seconds=30)
        clock.now = health.probe_at
    [row] = await rows(store)
    assert (DeliveryState.FAILED, 40) == (row.state, row.attempts)


async def test_retry_after_pauses_every_row_of_the_destination(
    store: Store, clock: FixedClock
) -> None:
    """A 429 with Retry-After 20 keeps all of the destination's rows back for 20 s."""
    await queue(store, 3)
    hook = RecordingNotifier(HOOK, [DeliveryError("HTTP 429", retryable=True, retry_after=20)])
    worker = dispatcher(store, clock, hook, concurrency=1)
    await worker.run_once()
    first = len(hook.attempts)
    tick(clock, 19.9)
    await worker.run_once()
    assert first == len(hook.attempts)
    tick(clock, 0.1)
    await worker.run_once()
    await worker.run_once()
    assert 3 == len(hook.sent)


async def test_rows_are_given_up_by_age(store: Store, clock: FixedClock) -> None:
    """A failed probe past max_age dead-letters every row of the destination that old."""
    await queue(store, 3)
    policy = DeliveryPolicy(digest_threshold=1000, max_age=3600)
    hook = RecordingNotifier(HOOK, [DOWN] * 4)
    worker = dispatcher(store, clock, hook, policy)
    await worker.run_once()
    tick(clock, 3600)
    await worker.run_once()
    dead = await rows(store, DeliveryState.DEAD)
    assert 3 == len(dead)
    assert all("(max_age)" in (r.last_error or "") for r in dead)


async def test_a_failed_digest_is_retried_as_the_same_digest(
    store: Store, clock: FixedClock
) -> None:
    """A digest's rows come back together, under the same id, not one by one."""
    await queue(store, 4)
    policy = DeliveryPolicy(digest_threshold=2)
    hook = RecordingNotifier(HOOK, [DOWN])
    worker = dispatcher(store, clock, hook, policy)
    await worker.run_once()
    [digest] = hook.attempts
    assert digest.is_digest
    tick(clock, 60)
    await worker.run_once()
    assert [digest.delivery_id] == [m.delivery_id for m in hook.sent]
    assert 4 == len(hook.sent[0].alerts)


async def test_a_retried_alert_stays_alone_and_outside_flood_control(
    store: Store, clock: FixedClock
) -> None:
    """Rows attempted alone are retried alone even in a flood, and their retries do not count
    toward the threshold: 3 alerts with threshold 3 go out alone, once each."""
    await queue(store, 3)
    policy = DeliveryPolicy(digest_threshold=3)
    hook = RecordingNotifier(HOOK, [DOWN, DOWN, DOWN])
    worker = dispatcher(store, clock, hook, policy, concurrency=1)
    await worker.run_once()  # three singles, all fail (one counts as a probe failure)
    for _ in range(4):
        tick(clock, 60)
        await worker.run_once()
    assert not any(m.is_digest for m in hook.attempts)
    assert 3 == len({m.delivery_id for m in hook.sent}) == len(hook.sent)


async def test_health_survives_a_restart(store: Store, clock: FixedClock) -> None:
    """A new dispatcher (a restart) sees the destination failing and waits for the probe."""
    await queue(store, 3)
    await dispatcher(store, clock, RecordingNotifier(HOOK, [DOWN] * 3)).run_once()
    await queue(store, 2, at=clock.now, first=10)
    tick(clock, 60)
    hook = RecordingNotifier(HOOK, [DOWN])
    await dispatcher(store, clock, hook, NO_DIGEST).run_once()
    assert 1 == len(hook.attempts)


async def test_a_non_retryable_answer_ends_the_outage(store: Store, clock: FixedClock) -> None:
    """A 400 to a probe means the receiver is up: that row dies, the others go out."""
    await queue(store, 3)
    bad = DeliveryError("HTTP 400", retryable=False)
    hook = RecordingNotifier(HOOK, [DOWN, DOWN, DOWN, bad])
    worker = dispatcher(store, clock, hook, concurrency=1)
    await worker.run_once()
    tick(clock, 60)
    await worker.run_once()
    await worker.run_once()
    assert (1, 2) == (len(await rows(store, DeliveryState.DEAD)), len(hook.sent))
    assert T0 < clock.now


async def test_another_instance_sees_the_destination_failing(
    store: Store, clock: FixedClock
) -> None:
    """An instance that learned of the failure only through the store also sends one probe,
    not its whole claim, once it re-reads destination health."""
    other = RecordingNotifier(HOOK)
    instance_b = dispatcher(store, clock, other, owner="b")
    await instance_b.run_once()  # nothing queued yet; health read: all healthy
    await queue(store, 6)
    await dispatcher(store, clock, RecordingNotifier(HOOK, [DOWN] * 6), owner="a").run_once()
    other.fail_next(DOWN)
    tick(clock, 60)
    await instance_b.run_once()
    assert 1 == len(other.attempts)


async def test_a_scheduled_notifier_probes_with_its_digest(store: Store, clock: FixedClock) -> None:
    """A scheduled notifier that is failing is probed with the slot's digest, never with one
    of its alerts alone."""
    from wirewatch.delivery.digest import Every

    await queue(store, 2)
    policy = DeliveryPolicy(schedule=Every(timedelta(minutes=30)), max_backoff=30)
    hook = RecordingNotifier(HOOK, [DOWN])
    worker = dispatcher(store, clock, hook, policy)
    clock.now = T0 + timedelta(minutes=30)
    await worker.run_once()  # the slot's digest fails
    await queue(store, 1, at=clock.now, first=10)  # for the next slot
    tick(clock, 30)
    await worker.run_once()  # the probe: the same digest again
    assert [True, True] == [m.is_digest for m in hook.attempts]
    assert hook.attempts[0].delivery_id == hook.sent[0].delivery_id


async def test_a_failing_scheduled_notifier_keeps_fresh_rows_for_their_slot(
    store: Store, clock: FixedClock
) -> None:
    """Rows queued while a scheduled notifier fails are not sent alone as a probe before
    their slot: they wait for it, then go out as its digest."""
    from wirewatch.delivery.digest import Every
    from wirewatch.storage import NotifierHealth

    probe_at = T0 + timedelta(seconds=10)
    await store.save_notifier_health(NotifierHealth(HOOK, True, 1, "HTTP 503", T0, probe_at, T0))
    await queue(store, 2)
    policy = DeliveryPolicy(schedule=Every(timedelta(minutes=30)))
    hook = RecordingNotifier(HOOK)
    worker = dispatcher(store, clock, hook, policy)
    tick(clock, 10)
    await worker.run_once()
    assert [] == hook.attempts
    clock.now = T0 + timedelta(minutes=30)
    await worker.run_once()
    assert [(True, 2)] == [(m.is_digest, len(m.alerts)) for m in hook.sent]
