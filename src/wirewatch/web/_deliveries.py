"""Delivery health: per notifier, its state, queue, oldest row still waiting and last error,
from the dispatcher's own reading when the daemon passes one (`DeskSources.notifiers`, what
/api/notifiers answers), else counted from the outbox; and the dead letters with a retry
button (the `requeue` path that `wirewatch deliveries retry` uses)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from wirewatch.storage import DeliveryRecord, DeliveryState
from wirewatch.web._render import SECURITY_HEADERS, page
from wirewatch.web._sources import DeskSources

ROWS = 1000
"""Rows read per state; counts at this number are shown as "1000+"."""
_WAITING = (DeliveryState.PENDING, DeliveryState.FAILED)


@dataclass(frozen=True, slots=True)
class NotifierView:
    name: str
    counts: dict[str, int]
    oldest_waiting: datetime | None
    last_error: str
    health: str = ""
    """The dispatcher's word for it (ok, failing, unconfigured), when it gives one."""

    @property
    def state(self) -> str:
        if self.health:
            return self.health
        if self.counts.get("dead"):
            return "dead"
        return "failed" if self.counts.get("failed") else "ok"


def notifier_views(rows: list[DeliveryRecord]) -> list[NotifierView]:
    counts: dict[str, Counter[str]] = {}
    oldest: dict[str, datetime] = {}
    errors: dict[str, tuple[datetime, str]] = {}
    for row in rows:
        counts.setdefault(row.notifier, Counter())[str(row.state)] += 1
        if row.state in _WAITING and (
            row.notifier not in oldest or row.created_at < oldest[row.notifier]
        ):
            oldest[row.notifier] = row.created_at
        if row.last_error and (row.notifier not in errors or errors[row.notifier][0] < row.due_at):
            errors[row.notifier] = (row.due_at, row.last_error)
    return [
        NotifierView(n, dict(c), oldest.get(n), errors.get(n, (None, ""))[1])
        for n, c in sorted(counts.items())
    ]


def health_views(rows: Sequence[Mapping[str, Any]], now: datetime) -> list[NotifierView]:
    """Notifier views from /api/notifiers rows (the dispatcher's own reading of its health)."""
    views = []
    for row in rows:
        age = row.get("oldest_pending_seconds")
        views.append(
            NotifierView(
                row["notifier"],
                {s: int(row.get(s) or 0) for s in ("pending", "failed", "dead")},
                now - timedelta(seconds=age) if age is not None else None,
                row.get("last_error") or "",
                row.get("state", ""),
            )
        )
    return views


async def deliveries_page(sources: DeskSources, request: web.Request) -> web.Response:
    rows: list[DeliveryRecord] = []
    for state in (*_WAITING, DeliveryState.DEAD):
        rows += await sources.store.list_deliveries(state, limit=ROWS)
    dead = [r for r in rows if r.state is DeliveryState.DEAD]
    now = sources.clock()
    if sources.notifiers is not None:
        notifiers = health_views(await sources.notifiers(), now)
    else:
        notifiers = notifier_views(rows)
    return page(
        "deliveries.html",
        {
            "active": "deliveries",
            "notifiers": notifiers,
            "dead": dead[:200],
            "now": now,
            "cap": ROWS,
            "requeued": request.query.get("requeued", ""),
        },
    )


async def retry(sources: DeskSources, request: web.Request) -> web.Response:
    form = await request.post()
    ids = [str(v) for v in form.getall("id", [])]
    if not ids:
        raise web.HTTPBadRequest(reason="name the delivery to retry (form field id)")
    done = await sources.store.requeue(sources.clock(), ids)
    raise web.HTTPSeeOther(f"/deliveries?requeued={done}", headers=SECURITY_HEADERS)
