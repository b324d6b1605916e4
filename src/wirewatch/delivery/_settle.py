"""Settling a send: the retry table applied to the outbox (see dispatch.py's docstring)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import structlog

from wirewatch.delivery._lanes import Job, Lane
from wirewatch.delivery.policy import DeliveryPolicy, dead_reason
from wirewatch.errors import DeliveryError
from wirewatch.model import Clock
from wirewatch.storage.base import DeliveryRecord, Store

log = structlog.get_logger("wirewatch.dispatch")
ENABLE_HINT = (
    "fix the notifier in the config, reload or restart, then `wirewatch deliveries retry --dead`"
)
Outcome = Literal["delivered", "retried", "dead"]
Observer = Callable[[str, Outcome, "float | None"], None]
"""Told each row's notifier, outcome and the send's duration in seconds (None when nothing was
sent)."""


@dataclass(slots=True)
class DispatchStats:
    """Counters since start, for tests and logs (rows, except `messages` and `digests`)."""

    messages: int = 0
    digests: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    held: int = 0


class Settler:
    """Writes the fate of each row to the store, counts it and logs what matters."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        rng: random.Random,
        lane: Callable[[str], Lane],
        policy: Callable[[str], DeliveryPolicy],
        observe: Observer | None,
        wake: Callable[[], None],
    ) -> None:
        self._store = store
        self._clock = clock
        self._rng = rng
        self._lane = lane
        self._policy = policy
        self._observe = observe or _ignore
        self._wake = wake
        self.stats = DispatchStats()

    async def sent(self, job: Job, seconds: float) -> None:
        now = self._clock()
        if len(job.rows) == 1:
            await self._store.mark_delivered(job.rows[0].id, now)
        else:  # a digest: all its rows at once, so a crash cannot leave part of it to resend
            await self._store.mark_delivered_many([r.id for r in job.rows], now)
        self.stats.messages += 1
        self.stats.digests += job.message.is_digest
        self.stats.delivered += len(job.rows)
        for _ in job.rows:
            self._observe(job.name, "delivered", seconds)
        await self._answered(job.name, now)
        log.debug("delivery_sent", notifier=job.name, delivery=job.message.delivery_id)

    async def failed(self, job: Job, error: DeliveryError, seconds: float) -> None:
        if error.disable:
            self._disable(job.name, str(error))
            gone = f"notifier disabled: {error}"
            await asyncio.gather(*(self.bury(r, gone, seconds) for r in job.rows))
            return
        now, policy = self._clock(), self._policy(job.name)
        due = await self._destination_failed(job, error, now) if error.retryable else now
        digest = job.message.delivery_id if job.message.is_digest else None
        for row in job.rows:
            reason = dead_reason(error, row, now, policy)
            if reason is not None:
                await self.bury(row, reason, seconds)
            else:
                await self._retry(row, error, due, seconds, digest)
        if not error.retryable:  # the receiver answered: it is up, the message was bad
            await self._answered(job.name, now)

    async def hold(self, row: DeliveryRecord, until: datetime, note: str) -> None:
        """Postpone a row without spending an attempt: a pending row stays pending."""
        await self._store.postpone(row.id, due_at=until, note=note)
        self.stats.held += 1

    async def bury(self, row: DeliveryRecord, reason: str, seconds: float | None = None) -> None:
        tried = row.attempts + 1 if seconds is not None else None  # it was sent just now
        await self._store.dead_letter(row.id, reason, attempts=tried)
        self.stats.dead += 1
        self._observe(row.notifier, "dead", seconds)
        log.warning("delivery_dead", notifier=row.notifier, delivery=row.id, reason=reason)

    async def _destination_failed(self, job: Job, error: DeliveryError, now: datetime) -> datetime:
        """Mark the destination failing until its next probe; give up its rows past max_age."""
        lane, policy = self._lane(job.name), self._policy(job.name)
        was_failing = lane.failing
        saved = lane.health.failed(error, now, policy, self._rng, probe=job.probe)
        await self._store.save_notifier_health(saved)
        if not was_failing:
            log.warning("notifier_failing", notifier=job.name, error=str(error))
        cutoff = now - timedelta(seconds=policy.max_age)
        reason = f"gave up after {policy.max_age / 3600:g} h (max_age): {error}"
        expired = await self._store.expire_deliveries(job.name, cutoff, reason)
        if expired:
            self.stats.dead += expired
            for _ in range(expired):
                self._observe(job.name, "dead", None)
            log.warning("deliveries_expired", notifier=job.name, count=expired, reason=reason)
        assert saved.probe_at is not None
        return saved.probe_at

    async def _answered(self, name: str, now: datetime) -> None:
        """The destination answered: if it was failing, it has recovered; release its rows."""
        lane = self._lane(name)
        if not lane.failing:
            return
        failures = lane.health.failures
        await self._store.save_notifier_health(lane.health.recovered(now))
        log.info("notifier_recovered", notifier=name, failed_probes=failures)
        self._wake()

    async def _retry(
        self,
        row: DeliveryRecord,
        error: DeliveryError,
        due: datetime,
        seconds: float,
        digest: str | None,
    ) -> None:
        await self._store.reschedule(
            row.id, due_at=due, error=str(error), attempt=row.attempts + 1, digest_id=digest
        )
        self.stats.retried += 1
        self._observe(row.notifier, "retried", seconds)
        log.debug("delivery_retry", notifier=row.notifier, delivery=row.id, due=due.isoformat())

    def _disable(self, name: str, reason: str) -> None:
        lane = self._lane(name)
        if lane.disabled is None:
            lane.disabled = reason
            log.error("notifier_disabled", notifier=name, reason=reason, action=ENABLE_HINT)


def _ignore(notifier: str, outcome: Outcome, seconds: float | None) -> None:
    return None
