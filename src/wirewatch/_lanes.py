"""One lane per notifier: which claimed rows go out now, as what message, and which wait.

A lane passes its rows through the flood gate (alone, digest or held for a digest), then
through the token bucket (send now, or held until a token is free). Pure bookkeeping: the
dispatcher does the I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wirewatch._digest import FloodGate, Group, digest_id
from wirewatch._policy import DeliveryPolicy
from wirewatch._ratelimit import TokenBucket
from wirewatch.notify.base import Message, Notifier
from wirewatch.storage.base import DeliveryRecord


@dataclass(frozen=True, slots=True)
class Job:
    """One message to send, and the rows it settles."""

    notifier: Notifier
    name: str
    rows: tuple[DeliveryRecord, ...]
    message: Message


@dataclass(slots=True)
class Plan:
    jobs: list[Job] = field(default_factory=list)
    holds: list[tuple[DeliveryRecord, datetime, str]] = field(default_factory=list)
    """Rows to postpone without spending an attempt: (row, until, note)."""
    dead: list[tuple[DeliveryRecord, str]] = field(default_factory=list)


class Lane:
    """The pacing state of one notifier: flood gate, token bucket, failing and disabled."""

    def __init__(self, name: str, policy: DeliveryPolicy) -> None:
        self.name = name
        self.gate = FloodGate(
            policy.digest_threshold, timedelta(seconds=policy.digest_window), policy.schedule
        )
        self.bucket = TokenBucket(policy.rate_limit, policy.burst)
        self.quiet = policy.quiet
        self.failing = False
        self.disabled: str | None = None

    def plan(
        self,
        notifier: Notifier | None,
        rows: Sequence[DeliveryRecord],
        now: datetime,
        plan: Plan,
    ) -> None:
        """Add what to do with `rows` (all due, all for this notifier) to `plan`."""
        if notifier is None or self.disabled:
            reason = (
                f"notifier disabled: {self.disabled}"
                if self.disabled
                else f"no notifier named {self.name!r} is configured; add it, then retry"
            )
            plan.dead += [(row, reason) for row in rows]
            return
        rows, after_quiet = self._quiet(rows, now, plan)
        groups, holds = self.gate.split(rows, now)
        groups = after_quiet + groups
        plan.holds += [(row, t, f"held for a digest until {_when(t)}") for row, t in holds]
        waiting = 0
        for group in groups:
            if self.bucket.take(now.timestamp()):
                plan.jobs.append(Job(notifier, self.name, group.rows, message_for(group)))
                if not group.digest:
                    self.gate.note_sent(now)
                continue
            slot = now + timedelta(seconds=self.bucket.wait(now.timestamp(), waiting))
            waiting += 1
            note = f"held by the rate limit ({self.bucket.rate:g}/s)"
            plan.holds += [(row, slot, note) for row in group.rows]

    def _quiet(
        self, rows: Sequence[DeliveryRecord], now: datetime, plan: Plan
    ) -> tuple[Sequence[DeliveryRecord], list[Group]]:
        """During quiet hours, hold every row until they end; after them, the rows created
        during them go out together as one digest (see intervals.py)."""
        quiet = self.quiet
        if quiet is None:
            return rows, []
        if quiet.contains(now):
            until = quiet.ends_after(now)
            note = f"quiet hours ({quiet.text}) until {_when(until)}"
            plan.holds += [(row, until, note) for row in rows]
            return [], []
        held = tuple(r for r in rows if quiet.contains(r.created_at))
        rest = [r for r in rows if not quiet.contains(r.created_at)]
        return rest, ([Group(held, digest=len(held) > 1)] if held else [])


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
