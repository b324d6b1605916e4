"""Dispatch: claim due outbox rows with a lease, send them, and settle each one.

    claim ─▶ per notifier: known (else held) and enabled? ─▶ healthy, or time to probe?
          ─▶ by history (retried digest / retried alone / fresh ─▶ flood gate)
          ─▶ rate limit (send now / hold) ─▶ send, bounded concurrency ─▶ settle

Health is per destination, not per row. The first retryable failure marks the destination
failing (in the store, so every instance and a restart see it) until its next probe: capped
exponential backoff with equal jitter (at most `max_backoff` apart, 60 s by default), or the
receiver's Retry-After (or Discord's `retry_after`) when that is later. Until then no row of
that destination is claimed: rows created meanwhile simply wait, spending no attempt. At probe
time one message goes out; the others claimed with it are released. The first success (or
any answer that is not a retryable failure) marks the destination recovered and wakes the
dispatcher, which releases the backlog at the notifier's rate limit.

How a send settles (the retry table):

    sent                                  delivered (every member of a digest, together)
    DeliveryError(disable=True)           the notifier is disabled (logged loudly) and the row
                                          dead-lettered "notifier disabled: ..."; later rows
                                          for it too, so they show in `wirewatch deliveries
                                          --state dead` and come back with `retry --dead`
                                          once it is fixed and the config reloaded
    not retryable                         dead-lettered with the reason
    retryable, age >= max_age             dead-lettered "gave up after ... (max_age): ..."; so
                                          are the destination's other rows past max_age
    retryable, attempts >= max_attempts   dead-lettered "gave up after N attempts: ..." (only
                                          when `retry.max_attempts` is set; default: age only)
    retryable                             failed, due at the destination's next probe; a
                                          digest's rows remember the digest and are retried
                                          in it, so an alert never arrives under two ids
    any other exception                   a notifier bug: retried like a transport error

Held rows (over the rate limit, or waiting for a digest) are postponed: due later, in the same
state (`pending` stays `pending`), no attempt spent, with a "held ..." note unless they already
carry an error. Nothing sleeps: a held row is simply not due yet. Retries neither count toward
flood control nor pass through it.

Delivery is at least once. A crash or cancellation between a send and its settling leaves the
row leased; when the lease expires any dispatcher sends it again, with the same delivery id.
A row that waited here so long that its lease nearly ran out is not sent (another claim may
have it by then); it goes out after the lease, once.

`observe(notifier, outcome, seconds)` is told each row's outcome (`delivered`, `retried`,
`dead`) and the send's duration, for metrics (`Metrics.delivery` fits).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import structlog

from wirewatch.delivery._lanes import Health, Job, Lane, Plan, by_notifier
from wirewatch.delivery._settle import DispatchStats, Observer, Outcome, Settler
from wirewatch.delivery.policy import DEFAULT_POLICY, DeliveryPolicy, dead_reason
from wirewatch.errors import DeliveryError, StoreError
from wirewatch.model import Clock
from wirewatch.notify.base import Notifier
from wirewatch.storage.base import Store

__all__ = [
    "DEFAULT_POLICY",
    "DeliveryPolicy",
    "DispatchStats",
    "Dispatcher",
    "Observer",
    "Outcome",
    "dead_reason",
]

log = structlog.get_logger("wirewatch.dispatch")
HEALTH_REFRESH = timedelta(seconds=5)
"""How often a dispatcher re-reads destination health that other instances may have changed."""


class Dispatcher:
    """Delivers the outbox; one per process (several processes may share a store)."""

    def __init__(
        self,
        store: Store,
        notifiers: Mapping[str, Notifier],
        policies: Mapping[str, DeliveryPolicy],
        *,
        clock: Clock,
        rng: random.Random,
        owner: str,
        lease_seconds: float = 60.0,
        batch: int = 100,
        idle_poll: float = 0.2,
        concurrency: int = 16,
        observe: Observer | None = None,
    ) -> None:
        self._store = store
        self._notifiers = dict(notifiers)
        self._policies = dict(policies)
        self._clock = clock
        self._owner = owner
        self._lease = lease_seconds
        self._batch = batch
        self._idle_poll = idle_poll
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._refill_at = max(concurrency, batch // 4)
        """Claim more once this few messages are queued or being sent."""
        self._backlog = False
        self._claim_error: str | None = None
        """Why claims fail, while they do: logged when it starts and when it ends, not on
        every try (a read-only disk fails each one at once)."""
        """The last claim was full: more rows are probably due."""
        self._lanes: dict[str, Lane] = {}
        self._health: dict[str, Health] = {}
        """Per destination; outlives its lane across reloads."""
        self._health_read_at: datetime | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._draining = False
        self._settle = Settler(
            store,
            clock=clock,
            rng=rng,
            lane=self._lane,
            policy=self.policy,
            observe=observe,
            wake=self.wake,
        )
        self.stats = self._settle.stats

    def policy(self, notifier: str) -> DeliveryPolicy:
        return self._policies.get(notifier, DEFAULT_POLICY)

    @property
    def notifier_names(self) -> tuple[str, ...]:
        """The notifiers configured now."""
        return tuple(self._notifiers)

    @property
    def failing(self) -> dict[str, Health]:
        """Destinations failing now, as this process last saw them."""
        return {n: h for n, h in self._health.items() if h.failing}

    @property
    def disabled(self) -> dict[str, str]:
        """Disabled notifiers and why."""
        return {n: lane.disabled for n, lane in self._lanes.items() if lane.disabled}

    def enable(self, notifier: str) -> None:
        """Undo a disable (a restart or `replace_notifiers` does too)."""
        if lane := self._lanes.get(notifier):
            lane.disabled = None

    def replace_notifiers(
        self, notifiers: Mapping[str, Notifier], policies: Mapping[str, DeliveryPolicy]
    ) -> None:
        """Use a reloaded config's notifiers from the next claim on; sends in flight finish
        with the old ones. Disabled notifiers are enabled again, and a notifier whose policy
        changed starts with a fresh rate limit and flood count."""
        kept = {
            name: lane
            for name, lane in self._lanes.items()
            if not lane.disabled and policies.get(name, DEFAULT_POLICY) == self.policy(name)
        }
        self._notifiers, self._policies, self._lanes = dict(notifiers), dict(policies), kept

    def wake(self) -> None:
        """Look for due rows now (called after an ingest queued deliveries)."""
        self._wakeup.set()

    async def run_once(self) -> int:
        """Claim one batch of due rows and settle every send started; return rows claimed."""
        claimed, tasks = await self._pump()
        await _finish(tasks)
        return claimed

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set or `drain` is called, then let the sends in flight
        finish (`drain(timeout)` bounds that). Cancelling `run` cancels them too."""
        relay = asyncio.create_task(self._relay(stop))
        try:
            while not (stop.is_set() or self._draining):
                self._wakeup.clear()
                if len(self._inflight) <= self._refill_at and await self._pump_safely():
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_poll):
                        await self._wakeup.wait()
            await _finish(self._inflight)
        except asyncio.CancelledError:
            await _cancel(self._inflight)
            raise
        finally:
            relay.cancel()

    async def drain(self, timeout: float | None) -> int:
        """Claim nothing new and let sends in flight finish; cancel those still running after
        `timeout` seconds (their rows go out again after the lease). Returns how many."""
        self._draining = True
        self._wakeup.set()
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._inflight:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            _, pending = await asyncio.wait(set(self._inflight), timeout=left)
            if pending and deadline is not None and loop.time() >= deadline:
                await _cancel(pending)
                return len(pending)
        return 0

    async def _relay(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wakeup.set()

    async def _pump_safely(self) -> bool:
        """Pump once for `run`; True when the batch was full (more may be due right away)."""
        try:
            claimed, _ = await self._pump()
        except StoreError as e:
            if self._claim_error is None:
                log.error("dispatch_claim_failed", error=str(e), note="retrying quietly")
            self._claim_error = str(e)
            return False
        if self._claim_error is not None:
            log.info("dispatch_claim_recovered", error=self._claim_error)
            self._claim_error = None
        self._backlog = claimed >= self._batch
        return self._backlog

    async def _pump(self) -> tuple[int, list[asyncio.Task[None]]]:
        if self._draining:
            return 0, []
        now = self._clock()
        if self._health_read_at is None or now - self._health_read_at >= HEALTH_REFRESH:
            await self._load_health(now)
        rows = await self._store.claim_deliveries(
            now, limit=self._batch, lease_seconds=self._lease, owner=self._owner
        )
        plan = Plan()
        for name, group in by_notifier(rows).items():
            self._lane(name).plan(self._notifiers.get(name), group, now, plan)
        until = now + timedelta(seconds=self._lease)
        for name in plan.probing:  # no other claim of its rows while the probe is out
            await self._store.save_notifier_health(self._health[name].probing(now, until))
        if plan.released:
            await self._store.release([row.id for row in plan.released])
        tasks = [self._spawn(job) for job in plan.jobs]
        await asyncio.gather(
            *(self._settle.hold(row, until, note) for row, until, note in plan.holds),
            *(self._settle.bury(row, reason) for row, reason in plan.dead),
        )
        return len(rows), tasks

    async def _load_health(self, now: datetime) -> None:
        """Pick up what the store says of each destination: failing before a restart, or
        marked failing (or recovered) by another instance sharing the store."""
        for saved in await self._store.notifier_health():
            self._health_of(saved.notifier).restore(saved)
        self._health_read_at = now

    def _health_of(self, name: str) -> Health:
        return self._health.setdefault(name, Health(name))

    def _lane(self, name: str) -> Lane:
        if name not in self._lanes:
            self._lanes[name] = Lane(name, self.policy(name), self._health_of(name))
        return self._lanes[name]

    def _spawn(self, job: Job) -> asyncio.Task[None]:
        task = asyncio.create_task(self._deliver(job))
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if self._backlog and len(self._inflight) <= self._refill_at:
            self._wakeup.set()

    async def _deliver(self, job: Job) -> None:
        error: DeliveryError | None = None
        async with self._slots:
            if self._lease_ends_soon(job):
                return
            started = asyncio.get_running_loop().time()
            try:
                await job.notifier.send(job.message)
            except DeliveryError as e:
                error = e
            except Exception as e:  # a notifier bug must not lose the row
                text = f"notifier {job.name!r} failed unexpectedly: {type(e).__name__}"
                log.error("notifier_crashed", notifier=job.name, error=text)
                error = DeliveryError(text, retryable=True)
            seconds = asyncio.get_running_loop().time() - started
        try:
            if error is None:
                await self._settle.sent(job, seconds)
            else:
                await self._settle.failed(job, error, seconds)
        except StoreError as e:  # the lease runs out and the row goes out again
            log.error("delivery_settle_failed", notifier=job.name, error=str(e))

    def _lease_ends_soon(self, job: Job) -> bool:
        """A row queued here too long may be claimed again: leave it to that claim."""
        until = job.rows[0].lease_until
        if until is None or self._clock() < until - timedelta(seconds=self._lease / 4):
            return False
        log.info("delivery_lease_ending", notifier=job.name, delivery=job.message.delivery_id)
        return True


async def _finish(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Wait for `tasks`; one cancelled by `drain` is no error, a bug in one is raised."""
    waiting = list(tasks)
    if waiting:
        await asyncio.wait(waiting)
    for task in waiting:
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error


async def _cancel(tasks: Iterable[asyncio.Task[None]]) -> None:
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
