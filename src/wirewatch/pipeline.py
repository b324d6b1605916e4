"""The stage order for one feed, written once: lease -> due -> fetch -> parse -> novelty ->
classify -> story -> ingest (one transaction: items, story, alerts, outbox rows).

`Pipeline.poll(feed)` runs one feed through every stage, top to bottom; the daemon's job and
`poll --once` both call it (`poll --once` forces "due", never the lease). Each step:

- **lease**: the feed's poll lease, for 90 % of its interval (15 minutes at least for a cycle's
  `claim`), so one instance polls it per interval and a dead instance's feeds pass to the
  others when it expires. A feed another instance holds is not polled (`leased`).
- **due**: a failing feed waits for its backoff (`next_due`, see `ingest.health`); a feed gone
  (410) or disabled is not fetched (`disabled`).
- **fetch**: conditional GET; a permanent redirect is logged with the new URL; 410 disables the
  feed loudly; a failure backs off with jitter, honouring Retry-After, and never gives up. The
  same bytes as last time are not parsed again.
- **parse**: off the event loop (in worker processes when given an executor).
- **novelty, classify, story, ingest**: items seen before are not classified again; new ones
  are classified against the feed's watchlists, muted where silences say so, grouped into
  stories under the store's story lock, and stored with their outbox rows in one transaction.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from wirewatch import leases
from wirewatch.config.settings import FeedConfig
from wirewatch.delivery.muting import SilenceCache
from wirewatch.errors import ParseError
from wirewatch.ingest import health
from wirewatch.ingest.fetch import Fetcher
from wirewatch.ingest.gate import IngestGate
from wirewatch.ingest.parse import ParsedFeed, parse_feed
from wirewatch.leases import Lease
from wirewatch.loading import Loaded
from wirewatch.match.verdicts import Classified, Classify
from wirewatch.model import Alert, Clock, FeedItem, FetchResult, FetchStatus
from wirewatch.storage import (
    BatchItem,
    FeedState,
    IngestBatch,
    IngestOutcome,
    Novelty,
    OrderedIngest,
    Store,
    StoryDecision,
    Verdict,
)
from wirewatch.stories.grouping import decide_stories, stored_member
from wirewatch.stories.index import StoryIndex

log = structlog.get_logger("wirewatch.pipeline")

_NEVER = datetime.max.replace(tzinfo=UTC)
Parser = Callable[..., ParsedFeed]
SKIPPED = ("leased", "not_due", "disabled")
"""The statuses of a poll that fetched nothing."""


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

    @property
    def polled(self) -> bool:
        """Whether the feed was fetched (not skipped: leased elsewhere, not due, disabled)."""
        return self.status not in SKIPPED


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
        owner: str = "wirewatch",
        rng: random.Random | None = None,
        parser: Parser = parse_feed,
        parse_executor: Executor | None = None,
        gate: IngestGate | None = None,
    ) -> None:
        self.loaded, self.store, self.fetcher, self.stories = loaded, store, fetcher, stories
        self.clock, self.rng, self.gate = clock, rng or random.Random(), gate
        self.owner = owner
        """The name feed leases are taken under: one per process."""
        self.parser, self.parse_executor = parser, parse_executor
        self._synced: datetime | None = None
        self._bodies: dict[str, bytes] = {}  # feed -> digest of the last body ingested
        self.silences = SilenceCache()

    def reload(self, loaded: Loaded) -> None:
        """Use a new config and watchlists from the next poll on."""
        self.loaded = loaded

    async def warm(self) -> int:
        """Index the stories still open now (the daemon, at start). Without it, the first
        ingest that needs a story indexes them, under the story lock: grouping survives a
        restart either way (`poll --once` leaves it to that ingest)."""
        await self._sync_stories(self.clock())
        return len(self.stories)

    async def claim(self, feeds: Iterable[FeedConfig]) -> dict[str, Lease]:
        """A cycle's leases and states (`leases.claim_all`), each for `poll` as its `lease`."""
        return await leases.claim_all(
            self.store, self.loaded.config, feeds, self.owner, self.clock()
        )

    async def poll(
        self, feed: FeedConfig, *, force: bool = False, lease: Lease | None = None
    ) -> PollReport:
        """Run `feed` through every stage (see the module docstring); `force` polls it even
        while it backs off; `lease` is `claim`'s. Never raises for the feed's own faults; a
        `StoreError` (the store cannot take the poll) propagates, and nothing is stored."""
        started, now = time.perf_counter(), self.clock()  # each poll its own time, as ever
        state = lease.state if lease else None
        if lease is None and await leases.claim(
            self.store, self.loaded.config, feed, self.owner, now
        ):
            state = await self.store.get_feed_state(feed.key) or FeedState(key=feed.key)
        if state is None:
            return PollReport(
                feed.label, feed.url, "leased", error="another instance holds its lease"
            )
        if state.status in health.OFF:
            return PollReport(feed.label, feed.url, "disabled", error=state.last_error)
        if not force and not health.is_due(state, now):
            return PollReport(feed.label, feed.url, "not_due")
        result = await self.fetcher.fetch(
            feed.url, etag=state.etag, last_modified=state.last_modified, headers=feed.headers
        )
        if result.permanent_redirect:
            log.warning(
                "feed_moved", feed=feed.label, url=feed.url, new_url=result.permanent_redirect
            )
        if result.status is FetchStatus.GONE:
            await self.store.save_feed_state(health.gone(feed, state))
            return self._report(feed, "gone", result, started, error=health.GONE_ERROR)
        if result.status is FetchStatus.FAILED:
            return await self._failed(
                feed, state, result.error or "fetch failed", result, now, started
            )
        digest = hashlib.blake2b(result.body, digest_size=16).digest()
        unchanged = result.status is FetchStatus.OK and self._bodies.get(feed.key) == digest
        if result.status is FetchStatus.NOT_MODIFIED or unchanged:
            # Many servers ignore conditional requests: the same bytes need no parsing either.
            await self.store.save_feed_state(self._healthy(feed, state, result, now))
            return self._report(feed, "not_modified", result, started)
        try:
            parsed = await self._parse(feed, result, now)
        except ParseError as e:
            return await self._failed(feed, state, str(e), result, now, started)
        async with self._turn(feed, parsed.items):
            ingested = await self._ingest(
                feed, self._healthy(feed, state, result, now), parsed.items, now
            )
        outcome = await ingested
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

    async def release(self, keys: Iterable[str]) -> None:
        """Give back this owner's leases of these feeds now (`poll --once` after its cycle, the
        daemon when it stops), so that another instance need not wait for them to expire."""
        await leases.release(self.store, keys, self.owner, self.clock())

    async def _parse(self, feed: FeedConfig, result: FetchResult, now: datetime) -> ParsedFeed:
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
        return await asyncio.get_running_loop().run_in_executor(self.parse_executor, parse)

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
    ) -> Awaitable[IngestOutcome]:
        """Classify and ingest; the outcome to await. A store that runs calls in order
        (`OrderedIngest`) is only handed an ingest without story decisions, so that the next
        feed's turn can start while it is written; story decisions are awaited here."""
        classify = Classify(self.store, self.loaded, self.silences)
        batch = await classify(feed, state, items, now)
        if not any(_needs_story(novel, verdicts) for _, novel, verdicts in batch):
            plain = self._batch(feed, state, now, batch, {})
            if isinstance(self.store, OrderedIngest):
                return self.store.queue_ingest(plain)
            return _done(await self.store.ingest(plain))
        # Novelty, story decisions and the ingest that records them are one critical section,
        # shared with every instance on the same database, so no story is opened twice and a
        # duplicate found under the lock never opens one.
        async with self.store.story_lock():
            batch = await classify(feed, state, items, now, batch)
            await self._sync_stories(now)
            alerting = [(i, v) for i, novel, v in batch if _needs_story(novel, v)]
            stories, added = decide_stories(self.stories, feed.key, alerting, now)
            try:
                return _done(await self.store.ingest(self._batch(feed, state, now, batch, stories)))
            except BaseException:
                for story_id, member in added:
                    self.stories.remove(story_id, member)
                raise

    def _batch(
        self,
        feed: FeedConfig,
        state: FeedState,
        now: datetime,
        batch: Classified,
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

    def _healthy(
        self, feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime
    ) -> FeedState:
        return health.healthy(feed, state, result, now, self.loaded.config.feed_interval(feed))

    async def _failed(
        self, feed: FeedConfig, state: FeedState, error: str, result: FetchResult, now: datetime,
        started: float,
    ) -> PollReport:  # fmt: skip
        config = self.loaded.config
        interval, cap = config.feed_interval(feed), config.fetch.backoff_cap
        failed = health.failing(
            feed, state, error, result, now=now, interval=interval, cap=cap, rng=self.rng
        )
        await self.store.save_feed_state(failed)
        return self._report(feed, "failed", result, started, error=error)

    @staticmethod
    def _report(
        feed: FeedConfig, status: str, result: FetchResult, started: float, error: str | None = None
    ) -> PollReport:
        elapsed = time.perf_counter() - started
        return PollReport(
            feed.label, feed.url, status, result.http_status, elapsed=elapsed, error=error
        )


def _done(outcome: IngestOutcome) -> Awaitable[IngestOutcome]:
    done: asyncio.Future[IngestOutcome] = asyncio.get_running_loop().create_future()
    done.set_result(outcome)
    return done


def _needs_story(novelty: Novelty, verdicts: tuple[Verdict, ...]) -> bool:
    return novelty is Novelty.NEW and any(v.classification.alert for v in verdicts)
