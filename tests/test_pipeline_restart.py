"""A pipeline that was never warmed (`poll --once` in a new process): the open stories are
indexed by the first ingest that needs them, and a poll with nothing new never reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.test_pipeline import ALEPPO, ALEPPO_AGAIN, Web, feed, loaded, web
from wirewatch.ingest.fetch import Fetcher
from wirewatch.loading import Loaded
from wirewatch.pipeline import Pipeline
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.index import StoryIndex
from wirewatch.testing import FixedClock

__all__ = ["loaded", "web"]  # the fixtures test_pipeline defines


class Process:
    """One process's pipeline on the shared database file: `start()` a new one (a restart)."""

    def __init__(self, loaded: Loaded, web: Web, clock: FixedClock, path: Path) -> None:
        self.loaded, self.web, self.clock, self.path = loaded, web, clock, path
        self.opened: list[tuple[SqliteStore, Fetcher]] = []
        self.reads: list[object] = []

    async def start(self) -> Pipeline:
        store = SqliteStore(self.path)
        await store.open()
        await store.migrate()
        members = store.story_members

        async def counted(since: object) -> object:
            self.reads.append(since)
            return await members(since)  # type: ignore[arg-type]

        store.story_members = counted  # type: ignore[method-assign,assignment]
        fetcher = Fetcher(transport=httpx.MockTransport(self.web.handle))
        self.opened.append((store, fetcher))
        return Pipeline(
            self.loaded, store=store, fetcher=fetcher, stories=StoryIndex(), clock=self.clock
        )

    async def close(self) -> None:
        for store, fetcher in self.opened:
            await fetcher.aclose()
            await store.close()


@pytest.fixture
async def process(
    loaded: Loaded, web: Web, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[Process]:
    started = Process(loaded, web, clock, tmp_path / "w.db")
    yield started
    await started.close()


async def test_a_new_process_joins_a_story_stored_before_without_warming(
    process: Process, loaded: Loaded, web: Web
) -> None:
    """A story opened by one process is joined by the same report from another feed polled in
    a new process whose index was never warmed: no second alert."""
    web.feed("http://c.test/feed", ALEPPO)
    first = await (await process.start()).poll(feed(loaded, "c"))
    process.clock.advance(3600)  # restarted an hour later, well within the stories' window
    web.feed("http://b.test/feed")
    restarted = await process.start()
    await restarted.poll(feed(loaded, "b"))
    web.feed("http://b.test/feed", ALEPPO_AGAIN)
    joined = await restarted.poll(feed(loaded, "b"))
    assert (1, 0, 1) == (len(first.alerts), len(joined.alerts), joined.joined)


async def test_a_poll_with_nothing_new_reads_no_story(
    process: Process, loaded: Loaded, web: Web
) -> None:
    """Feeds that answer 304, send the same bytes again or carry no news that alerts leave
    the open stories unread; the first alerting item reads them once."""
    web.feed("http://c.test/feed", ALEPPO)
    await (await process.start()).poll(feed(loaded, "c"))
    process.reads.clear()
    restarted = await process.start()
    web.status("http://c.test/feed", 304)
    web.feed("http://a.test/feed")
    for name in ("c", "a", "a"):
        await restarted.poll(feed(loaded, name))
    unread = len(process.reads)
    web.feed("http://a.test/feed", ALEPPO_AGAIN)
    await restarted.poll(feed(loaded, "a"))
    assert (0, 1) == (unread, len(process.reads))
