"""Delivery health by destination: one reading of the store, for /api/notifiers, /readyz,
/metrics and `wirewatch deliveries --health`.

`read_destinations(store, names, now)` joins what the dispatcher saved about each destination
(failing or not, since when, the last error, the next probe) with the outbox's counts and its
oldest undelivered row. Every name in `names` (the configured notifiers) is listed, healthy or
not; a notifier that has rows but is no longer configured is listed too, as `unconfigured`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from wirewatch.storage.base import NotifierHealth, OutboxSummary, Store

State = Literal["ok", "failing", "unconfigured"]


@dataclass(frozen=True, slots=True)
class Destination:
    """One notifier's delivery health."""

    notifier: str
    state: State
    pending: int = 0
    failed: int = 0
    dead: int = 0
    delivered: int = 0
    oldest_pending_seconds: float | None = None
    """Age of the oldest pending or failed row; None when there is none."""
    failures: int = 0
    """Consecutive failed probes."""
    failing_since: datetime | None = None
    next_probe: datetime | None = None
    last_error: str | None = None
    """The last failure's reason, kept after recovery (see `state`)."""

    @property
    def failing(self) -> bool:
        return self.state == "failing"

    @property
    def queued(self) -> int:
        return self.pending + self.failed

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"queued": self.queued}


async def read_destinations(
    store: Store, names: Iterable[str], now: datetime
) -> dict[str, Destination]:
    """Every configured notifier's health, plus unconfigured ones that still have rows."""
    health = {h.notifier: h for h in await store.notifier_health()}
    summaries = {s.notifier: s for s in await store.outbox_summary()}
    configured = list(dict.fromkeys(names))
    extra = sorted(n for n in summaries if n not in configured)
    return {
        name: destination(name, health.get(name), summaries.get(name), now, name in configured)
        for name in (*configured, *extra)
    }


def destination(
    name: str,
    health: NotifierHealth | None,
    summary: OutboxSummary | None,
    now: datetime,
    configured: bool = True,
) -> Destination:
    summary = summary or OutboxSummary(name)
    failing = health is not None and health.failing
    state: State = "failing" if failing else "ok" if configured else "unconfigured"
    oldest = summary.oldest_open
    return Destination(
        notifier=name,
        state=state,
        pending=summary.pending,
        failed=summary.failed,
        dead=summary.dead,
        delivered=summary.delivered,
        oldest_pending_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        failures=health.failures if health and failing else 0,
        failing_since=health.failing_since if health and failing else None,
        next_probe=health.probe_at if health and failing else None,
        last_error=health.last_error if health else None,
    )
