"""The stories view: the page, one story's permalink, and the query both share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from wirewatch.storage import AlertRecord
from wirewatch.stories.actions import ACTIONS
from wirewatch.web._filters import (
    KINDS,
    PAGE_SIZE,
    SCAN_LIMIT,
    SCAN_PAGE,
    SINCE_CHOICES,
    StoryFilter,
    parse_filter,
)
from wirewatch.web._render import page
from wirewatch.web._sources import DeskSources
from wirewatch.web._view import entity_names, story_view


@dataclass(frozen=True, slots=True)
class Found:
    records: list[AlertRecord]
    more: bool
    capped: bool


async def find(
    sources: DeskSources, chosen: StoryFilter, now: datetime, *, limit: int = PAGE_SIZE
) -> Found:
    """One page of alerts matching the filter, newest first."""
    since = chosen.since_time(now)
    watchlist, entity = chosen.watchlist or None, chosen.entity or None
    if not chosen.scans:
        rows = await sources.store.recent_alerts(
            since, watchlist=watchlist, entity=entity, limit=limit + 1, offset=chosen.offset
        )
        return Found(rows[:limit], len(rows) > limit, False)
    kept: list[AlertRecord] = []
    wanted = chosen.offset + limit + 1
    for start in range(0, SCAN_LIMIT, SCAN_PAGE):  # stop as soon as the page is full
        rows = await sources.store.recent_alerts(
            since, watchlist=watchlist, entity=entity, limit=SCAN_PAGE, offset=start
        )
        kept += [r for r in rows if chosen.keep(r)]
        if len(kept) >= wanted or len(rows) < SCAN_PAGE:
            break
    else:
        window = kept[chosen.offset : wanted]
        return Found(window[:limit], len(window) > limit, True)
    window = kept[chosen.offset : wanted]
    return Found(window[:limit], len(window) > limit, False)


async def context(sources: DeskSources, records: list[AlertRecord]) -> dict[str, Any]:
    names = entity_names(sources.matchers())
    labels = await sources.labels()
    stories = [story_view(r, names, labels) for r in records]
    return {"stories": stories, "labels": labels, "muting": sources.muting}


async def stories_page(sources: DeskSources, request: web.Request) -> web.Response:
    now = sources.clock()
    chosen = parse_filter(request.query, now=now)
    found = await find(sources, chosen, now)
    matchers = sources.matchers()
    newest = max((r.alert.created_at for r in found.records), default=now)
    body = await context(sources, found.records)
    body |= {
        "active": "stories",
        "filter": chosen,
        "found": found,
        "scan_limit": SCAN_LIMIT,
        "now": now,
        "live": f"/events?{chosen.query(offset=0, since='')}" if not chosen.offset else "",
        "cursor": newest.isoformat(),
        "watchlists": sorted(matchers),
        "entities": sorted(
            {(e.id, e.names[0]) for m in matchers.values() for e in m.watchlist.entities}
        ),
        "severities": sorted(
            {"normal"}
            | {e.severity for m in matchers.values() for e in m.watchlist.entities if e.severity}
            | {m.watchlist.severity for m in matchers.values() if m.watchlist.severity}
        ),
        "kinds": KINDS,
        "actions": ACTIONS,
        "since_choices": SINCE_CHOICES,
        "exports": chosen.query(offset=0),
    }
    return page("stories.html", body)


async def story_page(sources: DeskSources, request: web.Request) -> web.Response:
    record = await sources.store.alert(request.match_info["id"])
    if record is None:
        return page(
            "missing.html",
            {"active": "", "what": "story", "hint": "it may have been pruned after 30 days"},
            status=404,
        )
    body = await context(sources, [record])
    body |= {"active": "", "now": sources.clock(), "record": record}
    return page("story.html", body)
