"""The watchlist bench: paste text, pick a watchlist, see what matched and what nearly did.

It runs the daemon's own compiled matcher through `Matcher.classify` and
`Matcher.near_misses`, the calls behind `wirewatch classify --explain`, so the bench and the
CLI cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from wirewatch.match.classifier import Matcher
from wirewatch.match.nearmiss import NearMiss
from wirewatch.model import Classification, FeedItem, Match
from wirewatch.observability.query import BadQuery
from wirewatch.web._render import page
from wirewatch.web._sources import DeskSources
from wirewatch.web._view import Segment, segments

MAX_TEXT = 100_000


@dataclass(frozen=True, slots=True)
class BenchResult:
    field: str
    result: Classification
    misses: tuple[NearMiss, ...]
    text: tuple[Segment, ...]


def bench(matcher: Matcher, text: str) -> BenchResult:
    """Classify `text` as the first field the watchlist counts (a headline's title if it is
    one line and titles count)."""
    fields = matcher.watchlist.alert.fields
    one_line = "\n" not in text.strip()
    field = (
        "title"
        if one_line and "title" in fields
        else next((f for f in ("summary", "content", "title") if f in fields), fields[0])
    )
    texts = {f: text if f == field else "" for f in ("title", "summary", "content")}
    item = FeedItem(
        id="bench", title=texts["title"], summary=texts["summary"], content=texts["content"]
    )
    result, misses = matcher.classify(item), matcher.near_misses(item)
    return BenchResult(field, result, tuple(misses), segments(text, result.matches))


def _pick(matchers: Mapping[str, Matcher], form: Mapping[str, Any]) -> tuple[str, str]:
    name = str(form.get("watchlist") or next(iter(sorted(matchers)), ""))
    text = str(form.get("text", ""))
    if name not in matchers:
        raise BadQuery(f"no watchlist is named {name!r}; use one of {', '.join(sorted(matchers))}")
    if len(text) > MAX_TEXT:
        raise BadQuery(f"the text is longer than {MAX_TEXT} characters; paste less")
    return name, text


async def bench_page(sources: DeskSources, request: web.Request) -> web.Response:
    matchers = sources.matchers()
    form: Mapping[str, Any] = await request.post() if request.method == "POST" else request.query
    name, text = _pick(matchers, form) if matchers else ("", "")
    outcome = bench(matchers[name], text) if text.strip() else None
    return page(
        "bench.html",
        {
            "active": "bench",
            "watchlists": sorted(matchers),
            "chosen": name,
            "text": text,
            "outcome": outcome,
        },
    )


def _match_json(m: Match | NearMiss) -> dict[str, Any]:
    return m._asdict()


async def bench_json(sources: DeskSources, request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise BadQuery('send JSON: {"watchlist": NAME, "text": TEXT}') from None
    if not isinstance(body, dict):
        raise BadQuery('send a JSON object: {"watchlist": NAME, "text": TEXT}')
    name, text = _pick(sources.matchers(), body)
    outcome = bench(sources.matchers()[name], text)
    return web.json_response(
        {
            "watchlist": name,
            "field": outcome.field,
            "alert": outcome.result.alert,
            "matches": [_match_json(m) for m in outcome.result.matches],
            "near_misses": [_match_json(m) for m in outcome.misses],
        }
    )
