"""Small scenario builders for the store contract suite: feeds, items, verdicts, batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wirewatch.model import Classification, FeedItem, Match
from wirewatch.storage import BatchItem, FeedState, IngestBatch, Store, StoryDecision, Verdict
from wirewatch.stories.member import new_story_id

T0 = datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
FEED_A = "https://a.example/rss"
FEED_B = "https://b.example/feed.xml"
HOUR = timedelta(hours=1)


def item(
    item_id: str,
    *,
    feed: str = FEED_A,
    title: str | None = None,
    summary: str = "Fighters entered the city overnight.",
    url: str | None = None,
    published: datetime | None = T0,
) -> FeedItem:
    """An item whose canonical URL is derived from its feed and id unless given."""
    return FeedItem(
        id=item_id,
        feed=feed,
        title=title if title is not None else f"Rebels advance on Homs ({item_id})",
        summary=summary,
        url=url if url is not None else f"{feed}/items/{item_id}",
        published=published,
    )


def verdict(
    *,
    watchlist: str = "syria",
    alert: bool = True,
    entities: tuple[str, ...] = ("homs",),
    destinations: tuple[str, ...] = ("hook",),
    item_id: str = "",
) -> Verdict:
    matches = tuple(Match(e, "place", e.title(), "title", 0, len(e), e.title()) for e in entities)
    return Verdict(Classification(watchlist, item_id, alert, matches), destinations)


def alerting(
    feed_item: FeedItem,
    *verdicts: Verdict,
    story: str | None = None,
) -> BatchItem:
    """A batch item that alerts, in its own new story unless `story` names one."""
    story_id = story or new_story_id(feed_item.feed, feed_item.id)
    decision = StoryDecision(story_id, f"sig {feed_item.id}")
    return BatchItem(feed_item, verdicts or (verdict(item_id=feed_item.id),), decision)


def quiet(feed_item: FeedItem) -> BatchItem:
    """A batch item that no watchlist alerts on."""
    return BatchItem(feed_item, (verdict(alert=False, entities=()),))


def batch(
    *items: BatchItem,
    feed: str = FEED_A,
    now: datetime = T0,
    backfill: bool = False,
    notify_updates: bool = False,
    notify_story_updates: bool = False,
) -> IngestBatch:
    return IngestBatch(
        feed=feed,
        now=now,
        items=items,
        backfill=backfill,
        notify_updates=notify_updates,
        notify_story_updates=notify_story_updates,
    )


async def polled_once(store: Store, *feeds: str, now: datetime = T0 - HOUR) -> None:
    """Get past each feed's first poll (which records items without alerting)."""
    for feed in feeds or (FEED_A, FEED_B):
        await store.ingest(IngestBatch(feed=feed, now=now, feed_state=FeedState(key=feed)))
