"""GET /events: new alerts as server-sent events, for the open stories page.

Each event is `event: story`, `id: <created_at of the alert, ISO 8601> <alert id>`, and
`data:` a JSON object {"id", "html"} with the story rendered as the page renders it. The stream
starts at `?after=<ISO time>` (the newest story the page already shows); a browser that
reconnects (after a daemon restart, say) sends the last id it saw as `Last-Event-ID`, and gets
every alert created since but that one, so nothing is missed. Alerts come from the store, so
every instance sharing a database streams the same ones. Alerts of one poll share a time, so
a reconnect may repeat some of them: the page drops a story it already shows.

Every `update_interval` seconds the newest UPDATE_WINDOW stories of the view are read again,
and a story that has gained a source since the last look is sent as `event: update` (same
data, no id), which the page puts in place of the one it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime

from aiohttp import web

from wirewatch.observability.query import BadQuery
from wirewatch.storage import AlertRecord
from wirewatch.web._filters import StoryFilter, parse_filter
from wirewatch.web._render import SECURITY_HEADERS, render
from wirewatch.web._sources import DeskSources
from wirewatch.web._stories import context

KEEPALIVE = 15.0
UPDATE_WINDOW = 50
RETRY_MS = 2000
_BATCH = 200


async def events(sources: DeskSources, request: web.Request) -> web.StreamResponse:
    params = dict(request.query)
    after = request.headers.get("Last-Event-ID") or params.pop("after", "")
    params.pop("after", None)
    cursor, last = _cursor(after) if after else (sources.clock(), "")
    chosen = parse_filter(params, now=sources.clock())
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            **SECURITY_HEADERS,
        }
    )
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MS}\n\n".encode())
    with contextlib.suppress(ConnectionError):
        await _stream(sources, chosen, cursor, {last}, response)
    return response


async def _stream(
    sources: DeskSources,
    chosen: StoryFilter,
    cursor: datetime,
    sent: set[str],
    response: web.StreamResponse,
) -> None:
    idle = 0.0
    known: dict[str, int] | None = None
    since_update = sources.update_interval
    while not sources.stopping.is_set():
        if since_update >= sources.update_interval:
            known = await _updates(sources, chosen, known, response)
            since_update = 0.0
        fresh = await _since(sources, chosen, cursor, sent)
        for record in fresh:
            await response.write(await _event(sources, record))
            if known is not None:  # as sent, so that a source joining later is an update
                known[record.alert.id] = len(record.alert.sources)
        if fresh:
            cursor = fresh[-1].alert.created_at
            sent = {r.alert.id for r in fresh if r.alert.created_at == cursor}
            idle = 0.0
        elif idle >= KEEPALIVE:
            await response.write(b": keepalive\n\n")
            idle = 0.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sources.stopping.wait(), sources.live_interval)
        idle += sources.live_interval
        since_update += sources.live_interval


async def _since(
    sources: DeskSources, chosen: StoryFilter, cursor: datetime, sent: set[str]
) -> list[AlertRecord]:
    """Alerts at or after `cursor` not yet sent, oldest first."""
    rows = await sources.store.recent_alerts(
        cursor, watchlist=chosen.watchlist or None, entity=chosen.entity or None, limit=_BATCH
    )
    return [r for r in reversed(rows) if r.alert.id not in sent and chosen.keep(r)]


async def _updates(
    sources: DeskSources,
    chosen: StoryFilter,
    known: dict[str, int] | None,
    response: web.StreamResponse,
) -> dict[str, int]:
    """Send the stories whose number of sources changed since `known`; return the new counts."""
    rows = await sources.store.recent_alerts(
        chosen.since_time(sources.clock()),
        watchlist=chosen.watchlist or None,
        entity=chosen.entity or None,
        limit=UPDATE_WINDOW,
    )
    counts = {r.alert.id: len(r.alert.sources) for r in rows if chosen.keep(r)}
    for record in rows:
        before = (known or {}).get(record.alert.id)
        if before is not None and before != counts.get(record.alert.id, before):
            await response.write(await _event(sources, record, "update"))
    return counts


async def _event(sources: DeskSources, record: AlertRecord, kind: str = "story") -> bytes:
    body = await context(sources, [record])
    html = render("_story.html", body | {"story": body["stories"][0], "now": sources.clock()})
    data = json.dumps({"id": record.alert.id, "html": html}, ensure_ascii=False)
    if kind != "story":
        return f"event: {kind}\ndata: {data}\n\n".encode()
    event_id = f"{record.alert.created_at.isoformat()} {record.alert.id}"
    return f"event: story\nid: {event_id}\ndata: {data}\n\n".encode()


def _cursor(text: str) -> tuple[datetime, str]:
    """`<ISO time> [alert id]` -> (the time, the id or "")."""
    time, _, alert_id = text.strip().partition(" ")
    try:
        when = datetime.fromisoformat(time)
    except ValueError:
        raise BadQuery(f"Last-Event-ID or after={text!r} is not an ISO 8601 time") from None
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)), alert_id
