"""One lane per notifier: which claimed rows go out now, as what message, and which wait.

A lane first sorts its rows by their history, so that an alert never reaches a receiver under
two delivery ids and retries never count toward flood control:

    attempted in a digest     retried in that same digest (same members, so the same id)
    attempted alone           retried alone, past the flood gate
    never attempted           through the flood gate (alone, digest or held for a digest)

then passes the messages through the token bucket (send now, or held until a token is free).
While the destination is failing (see `Health`), a claim of its rows happens only at probe
time: one message goes out as the probe and the other rows are released untouched, to follow
once the probe succeeds. Pure bookkeeping: the dispatcher does the I/O.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wirewatch.delivery._ratelimit import TokenBucket
from wirewatch.delivery.digest import FloodGate, Group, digest_id
from wirewatch.delivery.policy import RETRY_AFTER_LIMIT, DeliveryPolicy
from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message, Notifier
from wirewatch.storage.base import DeliveryRecord, NotifierHealth

UNKNOWN_NOTIFIER_WAIT = timedelta(seconds=10)
"""How long a row for a notifier that is not configured waits before it is looked at again."""


@dataclass(frozen=True, slots=True)
class Job:
    """One message to send, and the rows it settles."""

    notifier: Notifier
    name: str
    rows: tuple[DeliveryRecord, ...]
    message: Message
    probe: bool = False
    """Sent while the destination is failing: its outcome decides the destination's health."""


@dataclass(slots=True)
class Plan:
    jobs: list[Job] = field(default_factory=list)
    holds: list[tuple[DeliveryRecord, datetime, str]] = field(default_factory=list)
    """Rows to postpone without spending an attempt: (row, until, note)."""
    dead: list[tuple[DeliveryRecord, str]] = field(default_factory=list)
    released: list[DeliveryRecord] = field(default_factory=list)
    """Rows of a failing destination that wait for its probe: leases freed, nothing else."""
    probing: list[str] = field(default_factory=list)
    """Notifiers whose probe goes out in this plan."""


class Health:
    """Whether a destination works, and when to probe it next while it does not."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failing = False
        self.failures = 0
        self.last_error: str | None = None
        self.since: datetime | None = None
        self.probe_at: datetime | None = None

    def restore(self, saved: NotifierHealth) -> None:
        self.failing, self.failures = saved.failing, saved.failures
        self.last_error, self.since, self.probe_at = (
            saved.last_error,
            saved.failing_since,
            saved.probe_at,
        )

    def failed(
        self,
        error: DeliveryError,
        now: datetime,
        policy: DeliveryPolicy,
        rng: random.Random,
        *,
        probe: bool,
    ) -> NotifierHealth:
        """Count a failed send (one per probe, so that parallel sends failing together count
        once) and set the next probe: capped, jittered backoff, or the receiver's
        Retry-After when that is later."""
        if probe or not self.failing:
            self.failures += 1
        self.failing, self.last_error = True, str(error)
        self.since = self.since or now
        delay = policy.backoff.delay(self.failures, rng=rng)
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, RETRY_AFTER_LIMIT))
        self.probe_at = now + timedelta(seconds=delay)
        return self.saved(now)

    def recovered(self, now: datetime) -> NotifierHealth:
        self.failing, self.failures, self.since, self.probe_at = False, 0, None, None
        return self.saved(now)

    def probing(self, now: datetime, until: datetime) -> NotifierHealth:
        """A probe is in flight: no other claim of this destination's rows until `until`."""
        self.probe_at = until
        return self.saved(now)

    def saved(self, now: datetime) -> NotifierHealth:
        return NotifierHealth(
            self.name, self.failing, self.failures, self.last_error, self.since, self.probe_at, now
        )


class Lane:
    """The pacing state of one notifier: flood gate, token bucket, health and disabled."""

    def __init__(self, name: str, policy: DeliveryPolicy, health: Health | None = None) -> None:
        self.name = name
        self.gate = FloodGate(
            policy.digest_threshold, timedelta(seconds=policy.digest_window), policy.schedule
        )
        self.bucket = TokenBucket(policy.rate_limit, policy.burst)
        self.health = health or Health(name)
        self.quiet = policy.quiet
        self.disabled: str | None = None

    @property
    def failing(self) -> bool:
        return self.health.failing

    def plan(
        self,
        notifier: Notifier | None,
        rows: Sequence[DeliveryRecord],
        now: datetime,
        plan: Plan,
    ) -> None:
        """Add what to do with `rows` (all due, all for this notifier) to `plan`.

        Rows of a notifier the config no longer names wait, pending: a reload may have
        removed it by mistake (a half-saved file), and they go out once it is back.
        """
        if notifier is None:
            until = now + UNKNOWN_NOTIFIER_WAIT
            note = f"waiting: no notifier named {self.name!r} is configured; add it back"
            plan.holds += [(row, until, note) for row in rows]
            return
        if self.disabled:
            plan.dead += [(row, f"notifier disabled: {self.disabled}") for row in rows]
            return
        if self.quiet is not None and self.quiet.contains(now):
            self._hold_quiet(rows, now, plan)
            return
        retried, fresh = _by_history(rows)
        fresh, after_quiet = self._after_quiet(fresh)
        if self.failing:
            groups = self._probe(
                retried, after_quiet + self._fresh_for_probe(fresh, now, plan), plan
            )
        else:
            groups = retried + after_quiet + self._through_gate(fresh, now, plan)
        waiting = 0
        for group in groups:
            if self.bucket.take(now.timestamp()):
                probe = self.failing
                plan.jobs.append(Job(notifier, self.name, group.rows, message_for(group), probe))
                if probe:  # pause the others until its answer (a held probe pauses nothing)
                    plan.probing.append(self.name)
                if not group.digest and group.rows[0].attempts == 0 and not probe:
                    self.gate.note_sent(now)
                continue
            slot = now + timedelta(seconds=self.bucket.wait(now.timestamp(), waiting))
            waiting += 1
            note = f"held by the rate limit ({self.bucket.rate:g}/s)"
            plan.holds += [(row, slot, note) for row in group.rows]

    def _hold_quiet(self, rows: Sequence[DeliveryRecord], now: datetime, plan: Plan) -> None:
        """During quiet hours every row waits for their end (see intervals.py)."""
        assert self.quiet is not None
        until = self.quiet.ends_after(now)
        note = f"quiet hours ({self.quiet.text}) until {_when(until)}"
        plan.holds += [(row, until, note) for row in rows]

    def _after_quiet(self, fresh: list[DeliveryRecord]) -> tuple[list[DeliveryRecord], list[Group]]:
        """Once quiet hours are over, the rows created during them go out as one digest."""
        if self.quiet is None:
            return fresh, []
        held = tuple(r for r in fresh if self.quiet.contains(r.created_at))
        rest = [r for r in fresh if not self.quiet.contains(r.created_at)]
        return rest, ([Group(held, digest=len(held) > 1)] if held else [])

    def _through_gate(self, fresh: list[DeliveryRecord], now: datetime, plan: Plan) -> list[Group]:
        groups, holds = self.gate.split(fresh, now)
        plan.holds += [(row, t, f"held for a digest until {_when(t)}") for row, t in holds]
        return groups

    def _fresh_for_probe(
        self, fresh: list[DeliveryRecord], now: datetime, plan: Plan
    ) -> list[Group]:
        """Fresh rows as probe candidates: alone, past the flood gate (whose counts a probe
        must not move), except that a scheduled notifier keeps its scheduled digests."""
        if self.gate.schedule is not None:  # schedules are stateless: safe to apply here
            return self._through_gate(fresh, now, plan)
        return [Group((row,), digest=False) for row in fresh]

    def _probe(self, retried: list[Group], fresh: list[Group], plan: Plan) -> list[Group]:
        """One message probes the failing destination (a retried one first); the rest wait
        for its answer."""
        groups = retried + fresh
        if not groups:
            return []
        plan.released += [row for group in groups[1:] for row in group.rows]
        return groups[:1]


def _by_history(rows: Sequence[DeliveryRecord]) -> tuple[list[Group], list[DeliveryRecord]]:
    """Retried messages (digests regrouped as they were first sent, singles alone) and the
    rows never attempted."""
    digests: dict[str, list[DeliveryRecord]] = {}
    alone: list[Group] = []
    fresh: list[DeliveryRecord] = []
    for row in rows:
        if row.digest_id is not None:
            digests.setdefault(row.digest_id, []).append(row)
        elif row.attempts > 0:
            alone.append(Group((row,), digest=False))
        else:
            fresh.append(row)
    regrouped = [Group(tuple(members), digest=True) for members in digests.values()]
    return regrouped + alone, fresh


def message_for(group: Group) -> Message:
    """A digest of the group's alerts, or the single row's own message."""
    rows = group.rows
    attempt = max(r.attempts for r in rows) + 1
    if group.digest:
        alerts = tuple(r.alert for r in rows)
        return Message(digest_id(r.id for r in rows), "alert.digest", alerts, attempt)
    return Message(rows[0].id, rows[0].event, (rows[0].alert,), attempt)


def by_notifier(rows: Sequence[DeliveryRecord]) -> dict[str, list[DeliveryRecord]]:
    grouped: dict[str, list[DeliveryRecord]] = {}
    for row in rows:
        grouped.setdefault(row.notifier, []).append(row)
    return grouped


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")
