"""The dispatcher: claims, the retry table, leases, rate limits, digests, disabling, draining."""

from __future__ import annotations

import asyncio
import io
import json
import random
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from tests.notify.scenarios import make_message
from tests.storage.storecase import T0, alerting, batch, item, verdict
from wirewatch.delivery._lanes import UNKNOWN_NOTIFIER_WAIT
from wirewatch.delivery.digest import DailyAt, Every, digest_id, parse_schedule
from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message, Notifier
from wirewatch.notify.console import ConsoleNotifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.storage import DeliveryRecord, DeliveryState, Store
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.testing import FixedClock, RecordingNotifier

HOOK = "hook"
NO_DIGEST = DeliveryPolicy(digest_threshold=1000)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


async def queue(store: Store, count: int, *, at: datetime = T0, first: int = 0) -> list[str]:
    """Queue `count` alerts for HOOK at `at`; return their delivery ids in order."""
    numbers = range(first, first + count)
    items = [alerting(item(f"i{n:03}"), verdict(destinations=(HOOK,))) for n in numbers]
    await store.ingest(batch(*items, now=at, backfill=True))
    return sorted(f"msg_{r.alert_id}_{HOOK}" for r in await rows(store) if r.created_at == at)


async def rows(store: Store, state: DeliveryState | None = None) -> list[DeliveryRecord]:
    return await store.list_deliveries(state)


async def one(store: Store) -> DeliveryRecord:
    [row] = await rows(store)
    return row


async def outcome(store: Store) -> tuple[DeliveryState, str | None]:
    """The state and last error of the one row."""
    row = await one(store)
    return row.state, row.last_error


def dispatcher(
    store: Store,
    clock: FixedClock,
    notifier: Notifier,
    policy: DeliveryPolicy = NO_DIGEST,
    *,
    owner: str = "w1",
    **options: float,
) -> Dispatcher:
    notifiers: Mapping[str, Notifier] = {HOOK: notifier}
    return Dispatcher(
        store,
        notifiers,
        {HOOK: policy},
        clock=clock,
        rng=random.Random(7),
        owner=owner,
        **options,  # type: ignore[arg-type]
    )


def ids_sent(notifier: RecordingNotifier) -> list[str]:
    return sorted(m.delivery_id for m in notifier.sent)


async def test_due_rows_are_sent_with_their_stable_ids_and_marked_delivered(
    store: Store, clock: FixedClock
) -> None:
    """Every due row is sent once, under its outbox id, and ends delivered."""
    ids = await queue(store, 3)
    notifier = RecordingNotifier(HOOK)
    assert 3 == await dispatcher(store, clock, notifier).run_once()
    assert ids == ids_sent(notifier)
    assert [1, 1, 1] == [m.attempt for m in notifier.sent]
    assert ids == sorted(r.id for r in await rows(store, DeliveryState.DELIVERED))


async def test_retryable_failure_is_rescheduled_no_sooner_than_retry_after(
    store: Store, clock: FixedClock
) -> None:
    """A 429 with Retry-After 120 s comes back no sooner than 120 s later, one attempt spent."""
    await queue(store, 1)
    busy = DeliveryError("webhook 'hook': HTTP 429", retryable=True, retry_after=120.0)
    await dispatcher(store, clock, RecordingNotifier(HOOK, [busy])).run_once()
    row = await one(store)
    assert (DeliveryState.FAILED, 1, "webhook 'hook': HTTP 429") == (
        row.state,
        row.attempts,
        row.last_error,
    )
    assert T0 + timedelta(seconds=120) <= row.due_at <= T0 + timedelta(hours=1)


async def test_retry_delay_is_full_jitter_under_the_exponential_ceiling(
    store: Store, clock: FixedClock
) -> None:
    """Without Retry-After the n-th failure waits between 0 and base * 2**(n-1) seconds."""
    await queue(store, 1)
    policy = DeliveryPolicy(digest_threshold=1000, max_attempts=10)
    failures = [DeliveryError("timeout", retryable=True) for _ in range(3)]
    worker = dispatcher(store, clock, RecordingNotifier(HOOK, failures), policy)
    for attempt in (1, 2, 3):
        await worker.run_once()
        row = await one(store)
        assert attempt == row.attempts
        assert T0 <= row.due_at <= clock.now + timedelta(seconds=10 * 2 ** (attempt - 1))
        clock.now = row.due_at
    await worker.run_once()
    assert DeliveryState.DELIVERED == (await one(store)).state


async def test_non_retryable_failure_is_dead_lettered_with_the_reason(
    store: Store, clock: FixedClock
) -> None:
    """A 400 is not retried: the row is dead at once, the reason kept."""
    await queue(store, 1)
    bad = DeliveryError("webhook 'hook': HTTP 400: bad payload", retryable=False)
    await dispatcher(store, clock, RecordingNotifier(HOOK, [bad])).run_once()
    row = await one(store)
    assert (DeliveryState.DEAD, "webhook 'hook': HTTP 400: bad payload") == (
        row.state,
        row.last_error,
    )


async def test_the_last_attempt_dead_letters(store: Store, clock: FixedClock) -> None:
    """With max_attempts 2 the second retryable failure gives up."""
    await queue(store, 1)
    errors = [DeliveryError("HTTP 503", retryable=True) for _ in range(2)]
    policy = DeliveryPolicy(digest_threshold=1000, max_attempts=2)
    worker = dispatcher(store, clock, RecordingNotifier(HOOK, errors), policy)
    await worker.run_once()
    clock.now = (await one(store)).due_at
    await worker.run_once()
    assert (DeliveryState.DEAD, "gave up after 2 attempts: HTTP 503") == await outcome(store)


async def test_a_row_older_than_max_age_is_dead_lettered_on_failure(
    store: Store, clock: FixedClock
) -> None:
    """A retryable failure of a row created more than max_age ago gives up."""
    await queue(store, 1)
    clock.now = T0 + timedelta(hours=2)
    policy = DeliveryPolicy(digest_threshold=1000, max_age=3600.0)
    error = DeliveryError("HTTP 502", retryable=True)
    await dispatcher(store, clock, RecordingNotifier(HOOK, [error]), policy).run_once()
    assert (DeliveryState.DEAD, "gave up after 2.0 h (max_age): HTTP 502") == await outcome(store)


async def test_an_expired_lease_lets_another_owner_send_the_same_delivery_id(
    store: Store, clock: FixedClock
) -> None:
    """A row leased by a crashed owner waits for the lease, then goes out under its own id."""
    [row_id] = await queue(store, 1)
    await store.claim_deliveries(T0, limit=10, lease_seconds=60.0, owner="crashed")
    notifier = RecordingNotifier(HOOK)
    worker = dispatcher(store, clock, notifier, owner="w2")
    clock.now = T0 + timedelta(seconds=30)
    assert 0 == await worker.run_once()
    clock.now = T0 + timedelta(seconds=60)
    assert 1 == await worker.run_once()
    assert [row_id] == ids_sent(notifier)


async def test_the_rate_limit_holds_a_burst_back_without_sleeping(
    store: Store, clock: FixedClock
) -> None:
    """At 1 message a second, a burst of 4 goes out one a second; the rest wait in the outbox."""
    await queue(store, 4)
    notifier = RecordingNotifier(HOOK)
    policy = DeliveryPolicy(rate_limit=1.0, digest_threshold=1000)
    worker = dispatcher(store, clock, notifier, policy)
    await worker.run_once()
    assert 1 == len(notifier.sent)
    held = await rows(store, DeliveryState.PENDING)  # held back, not failed
    assert [T0 + timedelta(seconds=s) for s in (1, 2, 3)] == [r.due_at for r in held]
    assert {(0, "held by the rate limit (1/s)")} == {(r.attempts, r.last_error) for r in held}
    for second in (1, 2, 3):
        clock.now = T0 + timedelta(seconds=second)
        await worker.run_once()
        assert second + 1 == len(notifier.sent)
    assert [1, 1, 1, 1] == [m.attempt for m in notifier.sent]


async def test_a_flood_goes_out_as_one_digest_with_a_stable_id(
    store: Store, clock: FixedClock
) -> None:
    """Five alerts due at once over a threshold of 3 become one digest; each row is delivered."""
    ids = await queue(store, 5)
    notifier = RecordingNotifier(HOOK)
    policy = DeliveryPolicy(digest_threshold=3, digest_window=300.0)
    await dispatcher(store, clock, notifier, policy).run_once()
    [message] = notifier.sent
    assert ("alert.digest", digest_id(ids), 5) == (
        message.event,
        message.delivery_id,
        len(message.alerts),
    )
    assert message.delivery_id.startswith("msg_digest_")
    assert ids == sorted(r.id for r in await rows(store, DeliveryState.DELIVERED))


async def test_alerts_during_a_flood_wait_for_the_window_and_go_out_together(
    store: Store, clock: FixedClock
) -> None:
    """After a flood digest, later alerts are held to the window's end, then sent as one."""
    notifier = RecordingNotifier(HOOK)
    policy = DeliveryPolicy(digest_threshold=2, digest_window=300.0)
    worker = dispatcher(store, clock, notifier, policy)
    await queue(store, 3)
    await worker.run_once()
    later = T0 + timedelta(seconds=10)
    clock.now = later
    ids = await queue(store, 2, at=later, first=10)
    await worker.run_once()
    assert 1 == len(notifier.sent)
    assert {T0 + timedelta(seconds=300)} == {
        r.due_at for r in await rows(store, DeliveryState.PENDING)
    }
    clock.now = T0 + timedelta(seconds=300)
    await worker.run_once()
    assert ("alert.digest", digest_id(ids)) == (
        notifier.sent[1].event,
        notifier.sent[1].delivery_id,
    )


async def test_below_the_threshold_each_alert_goes_out_alone(
    store: Store, clock: FixedClock
) -> None:
    """Three alerts with a threshold of 3 are three messages."""
    ids = await queue(store, 3)
    notifier = RecordingNotifier(HOOK)
    await dispatcher(store, clock, notifier, DeliveryPolicy(digest_threshold=3)).run_once()
    assert ids == ids_sent(notifier)
    assert {"alert.created"} == {m.event for m in notifier.sent}


def test_a_digest_id_depends_on_its_members_not_their_order() -> None:
    """The same members give the same id in any order; another member set another id."""
    assert digest_id(["b", "a"]) == digest_id(["a", "b"])
    assert digest_id(["a", "b"]) != digest_id(["a", "c"])


async def test_a_scheduled_digest_waits_for_the_next_slot(store: Store, clock: FixedClock) -> None:
    """Every 30 minutes: rows wait for :00 or :30 and then go out as one digest."""
    ids = await queue(store, 2)
    notifier = RecordingNotifier(HOOK)
    policy = DeliveryPolicy(schedule=Every(timedelta(minutes=30)))
    worker = dispatcher(store, clock, notifier, policy)
    await worker.run_once()
    assert [] == notifier.sent
    slot = T0 + timedelta(minutes=30)
    assert {slot} == {r.due_at for r in await rows(store)}
    clock.now = slot
    await worker.run_once()
    assert [("alert.digest", digest_id(ids))] == [(m.event, m.delivery_id) for m in notifier.sent]


def test_daily_slots_follow_the_time_zone_across_a_dst_change() -> None:
    """07:00 in Berlin is 06:00 UTC in winter and 05:00 UTC in summer."""
    berlin = DailyAt(time(7, 0), ZoneInfo("Europe/Berlin"))
    assert datetime(2024, 12, 2, 6, 0, tzinfo=UTC) == berlin.next_after(T0)
    saturday = datetime(2025, 3, 29, 7, 30, tzinfo=UTC)  # clocks go forward that night
    assert datetime(2025, 3, 30, 5, 0, tzinfo=UTC) == berlin.next_after(saturday)


def test_schedules_are_read_from_text() -> None:
    """`every 30m` and `daily 07:00 Europe/Berlin` parse; nonsense says what to write."""
    assert Every(timedelta(minutes=30)) == parse_schedule("every 30m")
    assert DailyAt(time(7, 0), ZoneInfo("Europe/Berlin")) == parse_schedule(
        "daily 07:00 Europe/Berlin"
    )
    with pytest.raises(ValueError, match="every 30m"):
        parse_schedule("hourly")


async def test_a_gone_endpoint_disables_the_notifier_and_dead_letters_its_rows(
    store: Store, clock: FixedClock
) -> None:
    """A 410 disables the notifier; its later rows are dead-lettered without a send."""
    await queue(store, 1)
    gone = DeliveryError("webhook 'hook': HTTP 410: gone", retryable=False, disable=True)
    notifier = RecordingNotifier(HOOK, [gone])
    worker = dispatcher(store, clock, notifier)
    await worker.run_once()
    await queue(store, 1, first=5)
    await worker.run_once()
    assert 1 == len(notifier.attempts)
    assert {"hook": "webhook 'hook': HTTP 410: gone"} == worker.disabled
    dead = await rows(store, DeliveryState.DEAD)
    assert {"notifier disabled: webhook 'hook': HTTP 410: gone"} == {r.last_error for r in dead}
    assert 2 == len(dead)


async def test_rows_for_an_unknown_notifier_wait_and_go_out_when_it_returns(
    store: Store, clock: FixedClock
) -> None:
    """A row whose notifier left the config (a reload of a half-saved file) is never
    dead-lettered: it stays pending, no attempt spent, and is sent once the notifier is back."""
    await queue(store, 1)
    worker = Dispatcher(store, {}, {}, clock=clock, rng=random.Random(1), owner="w1")
    await worker.run_once()
    row = await one(store)
    waiting = "waiting: no notifier named 'hook' is configured; add it back"
    assert (DeliveryState.PENDING, 0, waiting) == (row.state, row.attempts, row.last_error)

    notifier = RecordingNotifier(HOOK)
    worker.replace_notifiers({HOOK: notifier}, {HOOK: NO_DIGEST})
    clock.now += UNKNOWN_NOTIFIER_WAIT
    await worker.run_once()

    assert [row.id] == [m.delivery_id for m in notifier.sent]
    assert DeliveryState.DELIVERED == (await one(store)).state


class Crashing:
    name = HOOK

    async def send(self, message: Message) -> None:
        raise RuntimeError("bug")


async def test_a_notifier_bug_is_retried_not_lost(store: Store, clock: FixedClock) -> None:
    """An unexpected exception from a notifier reschedules the row."""
    await queue(store, 1)
    await dispatcher(store, clock, Crashing()).run_once()
    row = await one(store)
    assert (DeliveryState.FAILED, "notifier 'hook' failed unexpectedly: RuntimeError") == (
        row.state,
        row.last_error,
    )


@respx.mock(assert_all_called=True)
async def test_a_real_webhook_429_with_retry_after_is_rescheduled(
    respx_mock: respx.MockRouter, store: Store, clock: FixedClock
) -> None:
    """Through the webhook notifier: 429 Retry-After 90 reschedules at least 90 s later."""
    from wirewatch.notify.registry import build_notifier

    url = "https://hooks.example/services/T000/B000/s3cr3tT0ken"
    respx_mock.post(url).mock(return_value=httpx.Response(429, headers={"retry-after": "90"}))
    await queue(store, 1)
    async with httpx.AsyncClient() as client:
        notifier = build_notifier(WebhookSettings(HOOK, url), client=client, clock=clock)
        await dispatcher(store, clock, notifier).run_once()
    row = await one(store)
    assert DeliveryState.FAILED == row.state
    assert row.due_at >= T0 + timedelta(seconds=90)
    assert "s3cr3tT0ken" not in (row.last_error or "")


class Gate:
    """A notifier whose sends wait until the test opens the gate."""

    name = HOOK

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.started = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, message: Message) -> None:
        self.started.set()
        await self.open.wait()
        self.sent.append(message.delivery_id)


async def test_drain_finishes_sends_in_flight_and_claims_nothing_new(
    store: Store, clock: FixedClock
) -> None:
    """Draining waits for the send in flight; afterwards nothing more is claimed."""
    await queue(store, 1)
    gate = Gate()
    worker = dispatcher(store, clock, gate)
    first = asyncio.create_task(worker.run_once())
    await gate.started.wait()
    draining = asyncio.create_task(worker.drain(timeout=5.0))
    await queue(store, 1, first=5)
    gate.open.set()
    assert 0 == await draining
    await first
    assert 0 == await worker.run_once()
    assert 1 == len(gate.sent)


async def test_drain_cancels_what_outlives_its_timeout(store: Store, clock: FixedClock) -> None:
    """A send still running at the deadline is cancelled; its row stays leased for a retry."""
    await queue(store, 1)
    gate = Gate()
    worker = dispatcher(store, clock, gate)
    first = asyncio.create_task(worker.run_once())
    await gate.started.wait()
    assert 1 == await worker.drain(timeout=0.01)
    await first
    assert DeliveryState.PENDING == (await one(store)).state


async def test_wake_delivers_at_once_while_idle(store: Store, clock: FixedClock) -> None:
    """With a long idle poll, `wake()` after queueing still delivers within moments."""
    notifier = RecordingNotifier(HOOK)
    worker = dispatcher(store, clock, notifier, idle_poll=30.0)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.05)
    ids = await queue(store, 1)
    worker.wake()
    async with asyncio.timeout(2.0):
        while not notifier.sent:
            await asyncio.sleep(0.01)
    stop.set()
    await running
    assert ids == ids_sent(notifier)


async def test_the_console_notifier_prints_one_json_line_per_alert(
    store: Store, clock: FixedClock
) -> None:
    """Dispatched to the console, each alert is one JSON line (the webhook payload v1)."""
    ids = await queue(store, 2)
    out = io.StringIO()
    await dispatcher(store, clock, ConsoleNotifier(HOOK, out)).run_once()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert ids == sorted(line["id"] for line in lines)
    assert [("1", "alert.created", "syria")] * 2 == [
        (line["version"], line["type"], line["watchlist"]) for line in lines
    ]


async def test_a_console_digest_prints_each_alert_under_its_own_id(
    store: Store, clock: FixedClock
) -> None:
    """A digest to the console is still one line per alert, each with its row's id."""
    ids = await queue(store, 3)
    out = io.StringIO()
    policy = DeliveryPolicy(digest_threshold=1)
    await dispatcher(store, clock, ConsoleNotifier(HOOK, out), policy).run_once()
    assert ids == sorted(json.loads(line)["id"] for line in out.getvalue().splitlines())


async def test_a_closed_console_is_a_retryable_failure() -> None:
    """Writing to a closed stream raises a retryable DeliveryError."""
    out = io.StringIO()
    out.close()
    message = make_message(notifier="console")
    with pytest.raises(DeliveryError) as caught:
        await ConsoleNotifier("console", out).send(message)
    assert (True, "console 'console': cannot write to stdout: ValueError") == (
        caught.value.retryable,
        str(caught.value),
    )


async def test_a_row_whose_lease_nearly_ran_out_while_queued_is_not_sent(
    store: Store, clock: FixedClock
) -> None:
    """A row that waited for a send slot until late in its lease is left for the next claim."""
    await queue(store, 2)
    gate = Gate()
    worker = dispatcher(store, clock, gate, concurrency=1, lease_seconds=60.0)
    first = asyncio.create_task(worker.run_once())
    await gate.started.wait()
    clock.now = T0 + timedelta(seconds=50)
    gate.open.set()
    await first
    assert 1 == len(gate.sent)
    [waiting] = await rows(store, DeliveryState.PENDING)
    assert ("w1", T0 + timedelta(seconds=60)) == (waiting.lease_owner, waiting.lease_until)


async def test_observe_hears_every_outcome_with_the_send_time(
    store: Store, clock: FixedClock
) -> None:
    """The metrics hook is told delivered, retried and dead, with a duration for each send."""
    await queue(store, 3)
    errors = [
        DeliveryError("HTTP 503", retryable=True),
        DeliveryError("HTTP 400", retryable=False),
    ]
    heard: list[tuple[str, str, bool]] = []
    worker = Dispatcher(
        store,
        {HOOK: RecordingNotifier(HOOK, errors)},
        {HOOK: NO_DIGEST},
        clock=clock,
        rng=random.Random(1),
        owner="w1",
        observe=lambda name, outcome, seconds: heard.append((name, outcome, seconds is not None)),
    )
    await worker.run_once()
    expected = [(HOOK, "dead", True), (HOOK, "delivered", True), (HOOK, "retried", True)]
    assert expected == sorted(heard)


async def test_replacing_the_notifiers_enables_a_disabled_one_again(
    store: Store, clock: FixedClock
) -> None:
    """After a reload hands over new notifiers, a notifier disabled before sends again."""
    await queue(store, 1)
    gone = DeliveryError("HTTP 410", retryable=False, disable=True)
    worker = dispatcher(store, clock, RecordingNotifier(HOOK, [gone]))
    await worker.run_once()
    fixed = RecordingNotifier(HOOK)
    worker.replace_notifiers({HOOK: fixed}, {HOOK: NO_DIGEST})
    clock.now = T0 + timedelta(seconds=1)
    ids = await queue(store, 1, at=clock.now, first=5)
    await worker.run_once()
    assert ({}, ids) == (worker.disabled, ids_sent(fixed))


async def test_failing_claims_are_logged_when_they_start_and_when_they_end(
    tmp_path: Path, clock: FixedClock
) -> None:
    """A store that fails every claim at once (a read-only disk) gives one
    `dispatch_claim_failed` line, not one per try, and one `dispatch_claim_recovered`."""
    store = SqliteStore(tmp_path / "wirewatch.db")  # not open yet: every claim fails
    worker = dispatcher(store, clock, RecordingNotifier(HOOK), idle_poll=0.02)
    stop = asyncio.Event()
    with capture_logs() as logs:
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.5)
        await store.open()
        await store.migrate()
        await asyncio.sleep(0.3)
        stop.set()
        await running
    await store.close()

    events = [e["event"] for e in logs if e["event"].startswith("dispatch_claim")]
    assert ["dispatch_claim_failed", "dispatch_claim_recovered"] == events
