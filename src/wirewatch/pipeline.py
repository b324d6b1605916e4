"""The stage order, written once: fetch -> parse -> classify -> dedup/story -> store (+ outbox).

`Pipeline.poll(feed)` runs one feed through every stage and keeps its health: failures back
off exponentially with jitter (never giving up), Retry-After is honoured, 410 Gone disables the
feed loudly, a permanent redirect is logged with the new URL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import random
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from wirewatch.app import Loaded
from wirewatch.config.settings import FeedConfig
from wirewatch.delivery.muting import Muter, SilenceCache, item_action, prepare
from wirewatch.delivery.routing import labels_of
from wirewatch.errors import ParseError
from wirewatch.ingest.backoff import next_delay
from wirewatch.ingest.fetch import Fetcher
from wirewatch.ingest.gate import IngestGate
from wirewatch.ingest.parse import ParsedFeed, parse_feed
from wirewatch.match.watchlist import entity_labels
from wirewatch.model import Alert, FeedItem, FetchResult, FetchStatus
from wirewatch.storage import (
    BatchItem,
    FeedState,
    FeedStatus,
    IngestBatch,
    IngestOutcome,
    Novelty,
    Store,
    StoryDecision,
    Verdict,
)
from wirewatch.stories.grouping import decide_stories, stored_member
from wirewatch.stories.index import StoryIndex

log = structlog.get_logger("wirewatch.pipeline")

Clock = Callable[[], datetime]
_NEVER = datetime.max.replace(tzinfo=UTC)
Parser = Callable[..., ParsedFeed]


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll of one feed did (the row of `poll --once`'s table)."""

    feed: str
    url: str
    status: str
    http_status: int | None = None
    items: int = 0
    new: int = 0
    matched: int = 0
    alerts: tuple[Alert, ...] = ()
    joined: int = 0
    elapsed: float = 0.0
    error: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "gone")


class Pipeline:
    """Polls feeds through every stage; one instance serves the whole process."""

    def __init__(
        self,
        loaded: Loaded,
        *,
        store: Store,
        fetcher: Fetcher,
        stories: StoryIndex,
        clock: Clock,
        rng: random.Random | None = None,
        parser: Parser = parse_feed,
        parse_executor: Executor | None = None,
        gate: IngestGate | None = None,
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.fetcher = fetcher
        self.stories = stories
        self.clock = clock
        self.rng = rng or random.Random()
        self.parser = parser
        self.parse_executor = parse_executor
        self.gate = gate
        self._synced: datetime | None = None
        self._bodies: dict[str, bytes] = {}  # feed -> digest of the last body ingested
        self.silences = SilenceCache()

    def reload(self, loaded: Loaded) -> None:
        """Use a new config and watchlists from the next poll on."""
        self.loaded = loaded

    async def warm(self) -> int:
        """Index the stories still open, so grouping survives a restart."""
        await self._sync_stories(self.clock())
        return len(self.stories)

    async def poll(self, feed: FeedConfig) -> PollReport:
        """Fetch, parse, classify and store one feed; never raises for the feed's own faults."""
        started = time.perf_counter()
        now = self.clock()
        state = await self.store.get_feed_state(feed.key) or FeedState(key=feed.key)
        if state.status in (FeedStatus.GONE, FeedStatus.DISABLED):
            return PollReport(feed.label, feed.url, "disabled", error=state.last_error)
        result = await self.fetcher.fetch(
            feed.url, etag=state.etag, last_modified=state.last_modified, headers=feed.headers
        )
        if result.permanent_redirect:
            log.warning(
                "feed_moved", feed=feed.label, url=feed.url, new_url=result.permanent_redirect
            )
        if result.status is FetchStatus.GONE:
            return await self._gone(feed, state, result, now, started)
        if result.status is FetchStatus.FAILED:
            return await self._failed(
                feed, state, result.error or "fetch failed", result, now, started
            )
        digest = hashlib.blake2b(result.body, digest_size=16).digest()
        unchanged = result.status is FetchStatus.OK and self._bodies.get(feed.key) == digest
        if result.status is FetchStatus.NOT_MODIFIED or unchanged:
            # Many servers ignore conditional requests: the same bytes need no parsing either.
            await self._succeeded(feed, state, result, now)
            return PollReport(
                feed.label,
                feed.url,
                "not_modified",
                result.http_status,
                elapsed=time.perf_counter() - started,
            )
        try:
            parse = functools.partial(
                self.parser,
                result.body,
                feed_url=feed.url,
                feed_name=feed.label,
                content_type=result.content_type,
                now=now,
                limits=self.loaded.config.limits,
            )
            # feedparser costs ~0.5 ms of CPU per item: off the event loop, in processes if given.
            parsed = await asyncio.get_running_loop().run_in_executor(self.parse_executor, parse)
        except ParseError as e:
            return await self._failed(feed, state, str(e), result, now, started)
        async with self._turn(feed, parsed.items):
            outcome = await self._ingest(
                feed, self._healthy(feed, state, result, now), parsed.items, now
            )
        self._bodies[feed.key] = digest
        if parsed.warnings:
            log.info("feed_warnings", feed=feed.label, warnings=list(parsed.warnings)[:3])
        return PollReport(
            feed.label,
            feed.url,
            "ok",
            result.http_status,
            outcome.items,
            outcome.new,
            outcome.matched,
            outcome.alerts,
            outcome.stories_joined,
            time.perf_counter() - started,
            None,
            parsed.warnings,
        )

    def _turn(
        self, feed: FeedConfig, items: tuple[FeedItem, ...]
    ) -> AbstractAsyncContextManager[None]:
        """This feed's turn to ingest: at once, or in the gate's order when polled in a cycle."""
        if self.gate is None:
            return nullcontext()
        times = [i.published for i in items if i.published is not None]
        return self.gate.turn(feed.key, (min(times, default=_NEVER), feed.key))

    async def _ingest(
        self, feed: FeedConfig, state: FeedState, items: tuple[FeedItem, ...], now: datetime
    ) -> IngestOutcome:
        batch = await self._classified(feed, state, items, now)
        if not any(_needs_story(novel, verdicts) for _, novel, verdicts in batch):
            return await self.store.ingest(self._batch(feed, state, now, batch, {}))
        # Novelty, story decisions and the ingest that records them are one critical section,
        # shared with every instance on the same database, so no story is opened twice and a
        # duplicate found under the lock never opens one.
        async with self.store.story_lock():
            batch = await self._classified(feed, state, items, now, batch)
            await self._sync_stories(now)
            alerting = [(i, v) for i, novel, v in batch if _needs_story(novel, v)]
            stories, added = decide_stories(self.stories, feed.key, alerting, now)
            try:
                return await self.store.ingest(self._batch(feed, state, now, batch, stories))
            except BaseException:
                for story_id, member in added:
                    self.stories.remove(story_id, member)
                raise

    async def _classified(
        self,
        feed: FeedConfig,
        state: FeedState,
        items: tuple[FeedItem, ...],
        now: datetime,
        earlier: list[tuple[FeedItem, Novelty, tuple[Verdict, ...]]] | None = None,
    ) -> list[tuple[FeedItem, Novelty, tuple[Verdict, ...]]]:
        """Each item with its novelty and, when new, its verdicts (reused from `earlier` where
        the novelty did not change)."""
        novelty = await self.store.novelty(feed.key, items)
        first_poll = state.first_polled is None and not feed.backfill
        # A new feed's first poll only records what it holds as seen: nothing to classify.
        before = {item.id: (novel, verdicts) for item, novel, verdicts in earlier or ()}
        novel_of = {
            i.id: Novelty.SEEN if first_poll else novelty.get(i.id, Novelty.NEW) for i in items
        }
        to_classify = [
            i
            for i in items
            if novel_of[i.id] is not Novelty.SEEN
            and not ((k := before.get(i.id)) and k[0] is novel_of[i.id])
        ]
        muter = await prepare(self.store, self.loaded, now, self.silences) if to_classify else None
        batch = []
        for item in items:
            novel = novel_of[item.id]
            known = before.get(item.id)
            verdicts = (
                known[1]
                if known and known[0] is novel
                else self._verdicts(feed, item, novel, muter)
            )
            batch.append((item, novel, verdicts))
        return batch

    def _batch(
        self,
        feed: FeedConfig,
        state: FeedState,
        now: datetime,
        batch: list[tuple[FeedItem, Novelty, tuple[Verdict, ...]]],
        stories: dict[str, StoryDecision],
    ) -> IngestBatch:
        settings = self.loaded.config.stories
        return IngestBatch(
            feed=feed.key,
            feed_name=feed.name,
            now=now,
            items=tuple(BatchItem(i, v, stories.get(i.id)) for i, _, v in batch),
            feed_state=state,
            backfill=feed.backfill,
            notify_updates=settings.notify_updates,
            notify_story_updates=settings.notify_story_updates,
        )

    async def _sync_stories(self, now: datetime) -> None:
        """Index the sources other instances (or earlier runs) added since the last look, from
        their stored text, exactly as they were indexed live."""
        since = self._synced - timedelta(seconds=5) if self._synced else now - self.stories.window
        for record in await self.store.story_members(since):
            if not self.stories.has_member(record.item.feed, record.item.id):
                self.stories.add(record.story_id, stored_member(self.loaded, record))
        self._synced = now

    def _verdicts(
        self, feed: FeedConfig | None, item: FeedItem, novelty: Novelty, muter: Muter | None
    ) -> tuple[Verdict, ...]:
        if novelty is Novelty.SEEN or muter is None:
            return ()
        verdicts = []
        action: list[str | None] = []  # the item's action kind, found once when it alerts
        for name, matcher in self.loaded.matchers.items():
            if feed is not None and feed.watchlists is not None and name not in feed.watchlists:
                continue
            result = matcher.classify(item, per_entity=self.loaded.config.limits.matches_per_entity)
            if result.alert and not action:
                action.append(item_action(item))
            labels = labels_of(
                matcher.watchlist,
                result,
                feed=(feed.label, feed.url) if feed is not None else (),
                action=action[0] if action else None,
            )
            names = entity_labels(matcher.watchlist, result)
            verdicts.append(muter.verdict(result, labels, names))
        return tuple(verdicts)

    def _healthy(
        self, feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime
    ) -> FeedState:
        """The feed's state after a successful fetch (saved with its items, in one transaction)."""
        if state.consecutive_failures:
            log.info("feed_recovered", feed=feed.label, after_failures=state.consecutive_failures)
        return dataclasses.replace(
            state,
            status=FeedStatus.OK,
            etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
            http_status=result.http_status,
            consecutive_failures=0,
            last_error=None,
            last_success=now,
            next_due=now + timedelta(seconds=self.loaded.config.feed_interval(feed)),
        )

    async def _succeeded(
        self, feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime
    ) -> None:
        await self.store.save_feed_state(self._healthy(feed, state, result, now))

    async def _failed(
        self,
        feed: FeedConfig,
        state: FeedState,
        error: str,
        result: FetchResult,
        now: datetime,
        started: float,
    ) -> PollReport:
        failures = state.consecutive_failures + 1
        fetch = self.loaded.config.fetch
        delay = next_delay(
            failures,
            base=self.loaded.config.feed_interval(feed),
            cap=fetch.backoff_cap,
            rng=self.rng,
            jitter="equal",
            retry_after=result.retry_after,
        )
        if failures == 1:
            log.warning("feed_failing", feed=feed.label, url=feed.url, error=error)
        else:
            log.debug("feed_still_failing", feed=feed.label, failures=failures, error=error)
        await self.store.save_feed_state(
            dataclasses.replace(
                state,
                status=FeedStatus.FAILING,
                http_status=result.http_status,
                consecutive_failures=failures,
                last_error=error,
                next_due=now + timedelta(seconds=delay),
            )
        )
        return PollReport(
            feed.label,
            feed.url,
            "failed",
            result.http_status,
            error=error,
            elapsed=time.perf_counter() - started,
        )

    async def _gone(
        self, feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime, started: float
    ) -> PollReport:
        error = "HTTP 410 Gone: the publisher removed this feed; remove it from the config"
        log.error("feed_gone", feed=feed.label, url=feed.url, error=error)
        await self.store.save_feed_state(
            dataclasses.replace(
                state,
                status=FeedStatus.GONE,
                http_status=410,
                last_error=error,
                next_due=None,
            )
        )
        return PollReport(
            feed.label, feed.url, "gone", 410, error=error, elapsed=time.perf_counter() - started
        )

    async def is_due(self, feed: FeedConfig) -> bool:
        """False while a failing feed is backing off (the scheduler calls at every interval)."""
        state = await self.store.get_feed_state(feed.key)
        if state is None or state.next_due is None or state.status is FeedStatus.OK:
            return state is None or state.status not in (FeedStatus.GONE, FeedStatus.DISABLED)
        return self.clock() >= state.next_due


def _needs_story(novelty: Novelty, verdicts: tuple[Verdict, ...]) -> bool:
    return novelty is Novelty.NEW and any(v.classification.alert for v in verdicts)
