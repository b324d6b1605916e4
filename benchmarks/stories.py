"""Story grouping and store figures: 100,000 items over 48 hours.

Prints: the time to group one new item against an index of every story of the last 48 hours
(p50 and p95), how many rewrites joined their story, ingest throughput, the database size per
100,000 items, and the time of one retention pass that prunes about half of them.
Grouping uses the daemon's town locator (the gazetteer) unless --no-towns.
Run: .venv/bin/python benchmarks/stories.py [--items 100000] [--no-store] [--no-towns]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wirewatch.config.cachedir import cache_dir
from wirewatch.gazetteer.index import open_gazetteer
from wirewatch.model import Classification, FeedItem, Match
from wirewatch.storage import BatchItem, IngestBatch, StoryDecision, Verdict
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.grouping import member_of
from wirewatch.stories.index import StoryIndex
from wirewatch.stories.member import new_story_id
from wirewatch.stories.places import Locator, watched_countries

T0 = datetime(2024, 12, 1, tzinfo=UTC)
SPAN = timedelta(hours=48)
FEEDS = 200
ALERTING = 0.2
SYLLABLES = "ba da ka la ma na ra sa ta za bi di ki li mi ni ri si ti zo bu du ku lu mu nu".split()
VERBS = (
    "seize capture enter shell strike leave reach reject welcome condemn warn urge meet sign "
    "open close attack defend evacuate deny announce withdraw from halt resume block"
).split()
NOUNS = (
    "talks ceasefire offensive airport checkpoint convoy aid border prison bridge dam road "
    "election minister envoy deal sanctions strike protest refugees hospital market port army "
    "rebels militia troops police embassy statement report vote summit court pipeline"
).split()


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


class Newsroom:
    """Synthetic wire copy: fresh reports, and rewrites of recent ones by other outlets."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.places = [word(rng, 3).title() for _ in range(400)]
        self.actors = [word(rng, 2).upper() for _ in range(150)]
        self.vocab = [word(rng, rng.choice((2, 3))) for _ in range(6000)]
        self.recent: list[tuple[str, str]] = []

    def report(self) -> tuple[str, str, bool]:
        """A (title, summary, is_rewrite); a third of reports rewrite a recent one."""
        if self.recent and self.rng.random() < 0.33:
            title, summary = self.rng.choice(self.recent[-500:])
            return self._rewrite(title), self._rewrite(summary), True
        r = self.rng
        title = (
            f"{r.choice(self.actors)} {r.choice(VERBS)} {r.choice(self.places)} {r.choice(NOUNS)}"
        )
        summary = " ".join(r.choice(self.vocab) for _ in range(r.randint(12, 22)))
        self.recent.append((title, summary))
        return title, summary, False

    def _rewrite(self, text: str) -> str:
        words = text.split()
        for _ in range(max(1, len(words) // 6)):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocab)
        return " ".join(words)


def make_items(count: int, rng: random.Random) -> list[tuple[FeedItem, datetime, bool]]:
    newsroom = Newsroom(rng)
    step = SPAN / count
    rows = []
    for n in range(count):
        title, summary, rewrite = newsroom.report()
        feed = f"https://feed{rng.randrange(FEEDS)}.example/rss"
        at = T0 + n * step
        url = f"{feed.removesuffix('/rss')}/{n}"
        item = FeedItem(f"id-{n}", feed, title, summary, "", url, at)
        rows.append((item, at, rewrite))
    return rows


def locator() -> Locator:
    """The locator the daemon uses for a Syrian watchlist (every name looked up once)."""
    gazetteer = open_gazetteer(cache_dir())
    return Locator(gazetteer, watched_countries(gazetteer, ["Homs", "Hama", "Aleppo", "Idlib"]))


def group_all(
    rows: list[tuple[FeedItem, datetime, bool]], towns: Locator | None
) -> tuple[StoryIndex, dict[str, str]]:
    """Every item through grouping (the worst case: every item alerts); story per item id."""
    index = StoryIndex(locator=towns)
    stories = {}
    for item, at, _ in rows:
        member = member_of(item.feed, item, (), at)
        story = index.decide(member).story_id or new_story_id(item.feed, item.id)
        index.add(story, member)
        stories[item.id] = story
    return index, stories


def time_grouping(index: StoryIndex, rng: random.Random, samples: int) -> list[float]:
    """Seconds to group each of `samples` new reports: find, and add when the story is new."""
    newsroom = Newsroom(rng)
    at = T0 + SPAN
    timings = []
    for n in range(samples):
        title, summary, _ = newsroom.report()
        item = FeedItem(f"bench-{n}", "bench", title, summary, published=at)
        start = time.perf_counter()
        member = member_of("bench", item, (), at)
        index.add(index.decide(member).story_id or f"bench-{n}", member)
        timings.append(time.perf_counter() - start)
    return timings


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    p50, p95, p99 = (ordered[int(len(ordered) * q)] * 1000 for q in (0.5, 0.95, 0.99))
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms"


def batch_item(item: FeedItem, story: str, rng: random.Random) -> BatchItem:
    alert = rng.random() < ALERTING
    match = Match("place-1", "place", "Homs", "title", 0, 4, "Homs")
    verdict = Verdict(Classification("syria", item.id, alert, (match,)), ("hook", "slack"))
    return BatchItem(item, (verdict,), StoryDecision(story, "sig") if alert else None)


async def fill_store(
    store: SqliteStore, rows: list[tuple[FeedItem, datetime, bool]], stories: dict[str, str]
) -> float:
    rng = random.Random(7)
    for n in range(FEEDS):
        feed = f"https://feed{n}.example/rss"
        await store.ingest(IngestBatch(feed=feed, now=T0 - timedelta(hours=1)))
    start = time.perf_counter()
    by_feed: dict[str, list[BatchItem]] = {}
    for item, at, _ in rows:
        pending = by_feed.setdefault(item.feed, [])
        pending.append(batch_item(item, stories[item.id], rng))
        if len(pending) == 25:
            await store.ingest(IngestBatch(feed=item.feed, now=at, items=tuple(pending)))
            pending.clear()
    for feed, pending in by_feed.items():
        if pending:
            await store.ingest(IngestBatch(feed=feed, now=T0 + SPAN, items=tuple(pending)))
    return time.perf_counter() - start


async def deliver_all(store: SqliteStore) -> int:
    count = 0
    while rows := await store.claim_deliveries(
        T0 + 2 * SPAN, limit=500, lease_seconds=60, owner="b"
    ):
        for row in rows:
            await store.mark_delivered(row.id, T0 + 2 * SPAN)
        count += len(rows)
    return count


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def store_figures(
    rows: list[tuple[FeedItem, datetime, bool]], stories: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        async with SqliteStore(path) as store:
            await store.migrate()
            elapsed = await fill_store(store, rows, stories)
            print(f"ingest: {len(rows):,} items in {elapsed:.1f} s ({len(rows) / elapsed:,.0f}/s)")
            delivered = await deliver_all(store)
            alerts = len(await store.recent_alerts(T0 - SPAN, limit=10**6))
        async with SqliteStore(path) as store:  # reopening checkpoints the WAL
            pass
        size = size_of(path)
        per = size * 100_000 / len(rows)
        print(f"database: {size / 2**20:.1f} MiB for {len(rows):,} items, {alerts:,} alerts,")
        print(f"  {delivered:,} delivered rows: {per / 2**20:.1f} MiB per 100,000 items")
        async with SqliteStore(path) as store:
            start = time.perf_counter()
            outcome = await store.prune(T0 + timedelta(days=31), max_age=timedelta(days=30))
            elapsed = time.perf_counter() - start
        print(f"retention pass: {elapsed * 1000:.0f} ms, removed {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument("--no-store", action="store_true", help="grouping figures only")
    parser.add_argument(
        "--no-towns", action="store_true", help="group without the gazetteer (stories.far_km 0)"
    )
    args = parser.parse_args()
    rng = random.Random(42)
    rows = make_items(args.items, rng)

    start = time.perf_counter()
    index, stories = group_all(rows, None if args.no_towns else locator())
    elapsed = time.perf_counter() - start
    rewrites = [item.id for item, _, rewrite in rows if rewrite]
    joined = sum(1 for item, _, rewrite in rows if rewrite and stories[item.id] != _own(item))
    print(f"grouping {len(rows):,} items over 48 h: {elapsed:.1f} s; {len(index):,} stories;")
    print(f"  {joined:,} of {len(rewrites):,} rewrites joined a story")

    stories_before = len(index)
    timings = time_grouping(index, rng, args.samples)
    print(f"group one new item vs {stories_before:,} stories: {percentiles(timings)}")
    if not args.no_store:
        asyncio.run(store_figures(rows, stories))


def _own(item: FeedItem) -> str:
    return new_story_id(item.feed, item.id)


if __name__ == "__main__":
    main()
