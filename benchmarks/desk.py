"""The desk's first paint: server time of GET / with 10,000 stored stories.

    .venv/bin/python benchmarks/desk.py [--stories 10000] [--requests 50]

`--stories` alerting items (each its own story, one per minute, over three feeds, with
titles and summaries in English and Arabic) are ingested into a temporary SQLite store, in
batches, as the pipeline writes them. The daemon's HTTP server with the desk mounted then
serves them on 127.0.0.1, and each view is asked for `--requests` times after one warm-up
request. Reported: median and p95 of the time from sending the request to having the whole
body (server time plus loopback). Target for `/`: under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog

from wirewatch import web
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist
from wirewatch.model import FeedItem
from wirewatch.observability.http import HttpServer
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.query import AlertQuery
from wirewatch.storage import BatchItem, FeedState, IngestBatch, StoryDecision, Verdict
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.member import new_story_id

REPO = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC).replace(microsecond=0)
FEEDS = ("https://wire.example/rss", "https://desk.example/atom", "https://arabic.example/rss")
TITLES = (
    "Rebels enter Homs as government forces withdraw ({n})",
    "Shelling reported near Hama and Aleppo, SOHR says ({n})",
    "المعارضة تدخل حمص وتتقدم نحو دمشق ({n})",
    "HTS fighters reach the outskirts of Damascus ({n})",
)
SUMMARY = (
    "Fighters of Hay'at Tahrir al-Sham reached the city on Friday, the Syrian Observatory for "
    "Human Rights said, as Russia and Iran called for talks and Turkey closed a crossing."
)
VIEWS = ("/", "/?entity=homs", "/?q=damascus", "/feeds", "/export/alerts.atom")


async def fill(store: SqliteStore, matcher: Matcher, count: int) -> None:
    for feed in FEEDS:
        first = IngestBatch(feed=feed, now=NOW - timedelta(days=30), feed_state=FeedState(feed))
        await store.ingest(first)
    per_feed: dict[str, list[BatchItem]] = {f: [] for f in FEEDS}
    for n in range(count):
        feed = FEEDS[n % len(FEEDS)]
        at = NOW - timedelta(minutes=count - n)
        item = FeedItem(
            f"i{n}", feed, TITLES[n % 4].format(n=n), SUMMARY, url=f"{feed}/{n}", published=at
        )
        result = matcher.classify(item)
        story = StoryDecision(new_story_id(feed, item.id), f"sig {n}")
        per_feed[feed].append(BatchItem(item, (Verdict(result, ("hook",)),), story))
    for feed, items in per_feed.items():
        for start in range(0, len(items), 500):
            chunk = tuple(items[start : start + 500])
            await store.ingest(
                IngestBatch(feed=feed, now=chunk[-1].item.published or NOW, items=chunk)
            )


async def measure(client: httpx.AsyncClient, path: str, requests: int) -> tuple[float, float, int]:
    await client.get(path)
    times = []
    size = 0
    for _ in range(requests):
        began = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        size = len(response.content)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], size


async def main(count: int, requests: int) -> None:
    logging.disable(logging.CRITICAL)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    matcher = Matcher(load_watchlist(REPO / "config/watchlists/syria.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "desk.sqlite")
        await store.open()
        await store.migrate()
        began = time.perf_counter()
        await fill(store, matcher, count)
        print(f"stored {count} stories in {time.perf_counter() - began:.1f} s")
        rows = [{"name": f.split("/")[2], "url": f, "status": "ok"} for f in FEEDS]

        async def feeds() -> Sequence[Mapping[str, Any]]:
            return rows

        async def no_alerts(_: AlertQuery) -> Sequence[Mapping[str, Any]]:
            return []

        sources = web.DeskSources(store, feeds, lambda: {"syria": matcher}, lambda: NOW)
        server = HttpServer(metrics=Metrics(), checks={}, alerts=no_alerts, feeds=feeds)
        server.mount(web.install(sources), public=web.PUBLIC, login=web.LOGIN)
        port = await server.start("127.0.0.1", 0)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                print(f"{'view':<24} {'median ms':>10} {'p95 ms':>8} {'bytes':>9}")
                for path in VIEWS:
                    median, p95, size = await measure(client, path, requests)
                    print(f"{path:<24} {median:>10.1f} {p95:>8.1f} {size:>9}")
        finally:
            await server.stop()
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.stories, args.requests))
