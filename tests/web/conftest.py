"""A desk over a real temporary SQLite store and the shipped Syria watchlist, served by the
daemon's own HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
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

NOW = datetime(2024, 12, 8, 6, 0, tzinfo=UTC)
WIRE = "https://wire.example/rss"
ARABIC = "https://arabic.example/rss"
TOKEN = "desk-token-for-tests"
SYRIA = Matcher(load_watchlist(REPO / "config/watchlists/syria.yaml"))


@dataclass
class Desk:
    """The server, a client of it, and a way to add alerts to its store."""

    store: SqliteStore
    client: httpx.AsyncClient
    sources: web.DeskSources
    server: HttpServer
    feeds: list[dict[str, Any]] = field(default_factory=list)

    async def alert(
        self,
        item_id: str,
        title: str,
        summary: str = "",
        *,
        feed: str = WIRE,
        at: datetime = NOW - timedelta(minutes=5),
        story: str = "",
        action: str | None = None,
    ) -> str:
        """Ingest one item that the Syria watchlist alerts on; return its alert id (or, when
        it joins the story `story` already alerted, that story's id)."""
        item = FeedItem(item_id, feed, title, summary, url=f"{feed}/{item_id}", published=at)
        result = SYRIA.classify(item)
        assert result.alert, f"the Syria watchlist does not alert on {title!r}"
        decision = StoryDecision(story or new_story_id(feed, item_id), f"sig {item_id}", action)
        batch = BatchItem(item, (Verdict(result, ("hook",)),), decision)
        outcome = await self.store.ingest(IngestBatch(feed=feed, now=at, items=(batch,)))
        return outcome.alerts[0].id if outcome.alerts else decision.story_id

    async def story_of(self, alert_id: str) -> str:
        record = await self.store.alert(alert_id)
        assert record is not None
        return record.alert.story_id


async def _feeds_rows(desk: Desk) -> Sequence[Mapping[str, Any]]:
    return desk.feeds


async def _no_alerts(_: AlertQuery) -> Sequence[Mapping[str, Any]]:
    return []


async def serve(tmp_path: Path, token: str | None) -> AsyncIterator[Desk]:
    store = SqliteStore(tmp_path / "desk.sqlite")
    await store.open()
    await store.migrate()
    for feed in (WIRE, ARABIC):  # past each feed's first poll, which alerts on nothing
        await store.ingest(
            IngestBatch(feed=feed, now=NOW - timedelta(days=1), feed_state=FeedState(key=feed))
        )
    rows: list[dict[str, Any]] = [
        {"name": "Wire", "url": WIRE, "status": "ok"},
        {"name": "الجزيرة", "url": ARABIC, "status": "ok"},
    ]

    async def feeds() -> Sequence[Mapping[str, Any]]:
        return rows

    sources = web.DeskSources(
        store=store, feeds=feeds, matchers=lambda: {"syria": SYRIA}, clock=lambda: NOW, token=token
    )
    sources.live_interval = 0.05
    sources.update_interval = 0.2
    server = HttpServer(
        metrics=Metrics(), checks={}, alerts=_no_alerts, feeds=feeds, token=token, clock=lambda: NOW
    )
    server.mount(web.install(sources), public=web.PUBLIC, login=web.LOGIN)
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            yield Desk(store, client, sources, server, rows)
    finally:
        await server.stop()
        await store.close()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """A desk without a token."""
    async for d in serve(tmp_path, None):
        yield d


@pytest.fixture
async def locked_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """A desk whose daemon has a token."""
    async for d in serve(tmp_path, TOKEN):
        yield d
