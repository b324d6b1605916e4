"""The filtered stories view as an Atom feed (any feed reader can follow wirewatch), or as CSV
and JSON downloads. The same filters as the page; at most EXPORT_LIMIT alerts, newest first."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from aiohttp import web

from wirewatch.observability.api import record_json
from wirewatch.storage import AlertRecord
from wirewatch.web._filters import parse_filter
from wirewatch.web._render import SECURITY_HEADERS, page
from wirewatch.web._sources import DeskSources
from wirewatch.web._stories import context, find

EXPORT_LIMIT = 500
CSV_COLUMNS = (
    "id", "created_at", "watchlist", "severity", "title", "url", "feed", "entities", "sources",
)  # fmt: skip


def csv_text(records: Sequence[AlertRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        a = r.alert
        writer.writerow(
            [
                a.id,
                a.created_at.isoformat(),
                a.watchlist,
                a.severity or "",
                _cell(a.item.title),
                a.item.url,
                a.item.feed,
                " ".join(r.entities),
                len(a.sources),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet takes a cell starting with = + - @ as a formula: make it text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def export(sources: DeskSources, request: web.Request) -> web.Response:
    kind = request.match_info["format"]
    if kind not in ("atom", "csv", "json"):
        raise web.HTTPNotFound()
    now = sources.clock()
    chosen = parse_filter(request.query, now=now)
    records = (await find(sources, chosen, now, limit=EXPORT_LIMIT)).records
    if kind == "atom":
        body = await context(sources, records)
        body |= {"now": now, "self": str(request.url), "base": f"{request.scheme}://{request.host}"}
        return page("alerts.atom", body, content_type="application/atom+xml")
    attachment = {"Content-Disposition": f'attachment; filename="wirewatch-alerts.{kind}"'}
    headers = {**SECURITY_HEADERS, **attachment}
    if kind == "csv":
        return web.Response(
            text=csv_text(records), content_type="text/csv", charset="utf-8", headers=headers
        )
    text = json.dumps({"alerts": [record_json(r) for r in records]}, ensure_ascii=False)
    return web.Response(text=text, content_type="application/json", headers=headers)
