"""The silences panel: the page's script lists, adds and expires silences through the
daemon's /api/silences; the desk offers it only when the daemon serves that path."""

from __future__ import annotations

from aiohttp import web

from wirewatch.web._render import page
from wirewatch.web._sources import DeskSources


async def silences_page(sources: DeskSources, request: web.Request) -> web.Response:
    entities = sorted(
        {(e.id, e.names[0]) for m in sources.matchers().values() for e in m.watchlist.entities},
        key=lambda pair: pair[1].lower(),
    )
    return page(
        "silences.html", {"active": "silences", "muting": sources.muting, "entities": entities}
    )
