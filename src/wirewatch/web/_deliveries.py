"""Delivery health from what the store offers: outbox rows per notifier and state, the oldest
one still waiting, and the dead letters with a retry button (the `requeue` path that
`wirewatch deliveries retry` uses)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

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

    @property
    def state(self) -> str:
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


async def deliveries_page(sources: DeskSources, request: web.Request) -> web.Response:
    rows: list[DeliveryRecord] = []
    for state in (*_WAITING, DeliveryState.DEAD):
        rows += await sources.store.list_deliveries(state, limit=ROWS)
    dead = [r for r in rows if r.state is DeliveryState.DEAD]
    return page(
        "deliveries.html",
        {
            "active": "deliveries",
            "notifiers": notifier_views(rows),
            "dead": dead[:200],
            "now": sources.clock(),
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


async def silences_page(sources: DeskSources, request: web.Request) -> web.Response:
    """The page's script lists, adds and expires silences through /api/silences."""
    entities = sorted(
        {(e.id, e.names[0]) for m in sources.matchers().values() for e in m.watchlist.entities},
        key=lambda pair: pair[1].lower(),
    )
    return page(
        "silences.html", {"active": "silences", "muting": sources.muting, "entities": entities}
    )
