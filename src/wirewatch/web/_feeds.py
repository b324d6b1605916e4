"""Feed health: each feed's state in words, failing ones first, with items per day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from wirewatch.web._render import page
from wirewatch.web._sources import DeskSources

DAYS = 14
_ORDER = ("failing", "backing off", "disabled", "silent", "not polled yet", "not modified", "ok")
_PLAIN = (
    ("timed out", "the server did not answer in time"),
    ("timeout", "the server did not answer in time"),
    ("name or service not known", "the host name does not resolve"),
    ("connection refused", "nothing answers at that address"),
    ("certificate", "the server's TLS certificate was refused"),
    ("too large", "the feed is larger than fetch.max_body"),
    ("http 404", "the server says the feed is not there (404)"),
    ("http 410", "the server says the feed is gone for good (410); it is disabled"),
    ("http 403", "the server refuses us (403)"),
    ("http 429", "the server asks us to slow down (429)"),
    ("http 5", "the server failed (5xx)"),
    ("bozo", "the document is not a feed wirewatch can read"),
)


@dataclass(frozen=True, slots=True)
class FeedView:
    name: str
    url: str
    state: str
    last_success: datetime | None
    next_due: datetime | None
    error: str
    detail: str
    counts: tuple[int, ...]

    @property
    def css(self) -> str:
        return self.state.replace(" ", "-")


def state_of(row: Mapping[str, Any], now: datetime) -> str:
    """ok, not modified, backing off, failing, silent, disabled or not polled yet."""
    status = row.get("status")
    if status in ("gone", "disabled"):
        return "disabled"
    if status == "failing":
        due = row.get("next_due")
        return "failing" if row.get("consecutive_failures", 0) >= 3 or not due else "backing off"
    if status == "pending":
        return "not polled yet"
    if row.get("silent"):
        return "silent"
    return "not modified" if row.get("http_status") == 304 else "ok"


def plain_error(error: str | None) -> str:
    """The last error in words an analyst reads; the raw text stays beside it."""
    if not error:
        return ""
    low = error.lower()
    return next((words for key, words in _PLAIN if key in low), error)


def sparkline(counts: Sequence[int], *, width: int = 112, height: int = 24) -> str:
    """Points of an SVG polyline for `counts` (oldest first), scaled to the box."""
    top = max(counts, default=0) or 1
    step = width / max(len(counts) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (c / top) * (height - 4):.1f}" for i, c in enumerate(counts)
    )


def feed_views(
    rows: Sequence[Mapping[str, Any]], per_day: Mapping[str, Mapping[date, int]], now: datetime
) -> list[FeedView]:
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    views = [
        FeedView(
            name=row["name"],
            url=row["url"],
            state=state_of(row, now),
            last_success=row.get("last_success"),
            next_due=row.get("next_due"),
            error=plain_error(row.get("last_error")),
            detail=row.get("last_error") or "",
            counts=tuple(per_day.get(row["url"], {}).get(d, 0) for d in days),
        )
        for row in rows
    ]
    return sorted(views, key=lambda v: (_ORDER.index(v.state), v.name.lower()))


async def feeds_page(sources: DeskSources, request: web.Request) -> web.Response:
    now = sources.clock()
    start = datetime.combine(now.astimezone(UTC).date() - timedelta(days=DAYS - 1), time(), UTC)
    views = feed_views(await sources.feeds(), await sources.store.item_counts(start), now)
    return page(
        "feeds.html",
        {"active": "feeds", "feeds": views, "now": now, "days": DAYS, "sparkline": sparkline},
    )
