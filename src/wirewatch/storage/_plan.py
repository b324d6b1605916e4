"""What an ingest writes, decided in pure code that every store shares.

A store reads a `Snapshot` of the rows a batch touches inside its write transaction, `plan`
turns batch and snapshot into a `Plan` of rows to insert or update, and the store writes them
with a few batched statements. The rules of dedup live here once:

- an item is new unless its feed had its id, or any feed had its canonical URL;
- an item seen under the same id with another title or summary is an edit;
- on a feed's first poll without backfill, new items are recorded as seen and nothing alerts;
- a new alerting item creates its story if needed, adds itself as a source, and creates one
  alert per watchlist unless that story already has one (the item then "joins" the story).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from wirewatch.model import Alert, FeedItem, Source
from wirewatch.storage.codec import alert_id, content_hash, short_hash
from wirewatch.storage.records import BatchItem, IngestBatch, IngestOutcome, Novelty, Verdict


@dataclass(slots=True)
class Snapshot:
    """The stored rows that one batch touches."""

    first_poll: bool
    seen: dict[str, str]
    """This feed's seen item ids that occur in the batch, with their content hash."""
    seen_urls: set[str]
    """Canonical URLs of the batch that any feed has had."""
    stories: set[str]
    alerts: dict[tuple[str, str], tuple[Alert, tuple[str, ...]]]
    """(story, watchlist) -> the alert as created and its destinations."""
    sources: dict[str, list[Source]]
    item_alerts: dict[str, list[str]] = field(default_factory=dict)
    """This feed's item id -> alert ids whose story it is a source of (for edits)."""
    alerts_by_id: dict[str, tuple[Alert, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewAlert:
    alert: Alert
    destinations: tuple[str, ...]
    entities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """An outbox row to write; its event is its alert's."""

    id: str
    notifier: str
    alert: Alert


@dataclass(slots=True)
class Plan:
    now: datetime
    seen_new: list[tuple[FeedItem, str]] = field(default_factory=list)
    seen_touched: list[tuple[str, str]] = field(default_factory=list)
    """(item id, content hash) of items seen again."""
    items_new: list[FeedItem] = field(default_factory=list)
    items_edited: list[FeedItem] = field(default_factory=list)
    stories: list[tuple[str, str]] = field(default_factory=list)
    sources: list[tuple[str, Source]] = field(default_factory=list)
    alerts: list[NewAlert] = field(default_factory=list)
    deliveries: list[NewDelivery] = field(default_factory=list)
    outcome: IngestOutcome = field(default_factory=IngestOutcome)


_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(FeedItem) if f.name != "feed")
_item_values = operator.attrgetter(*_ITEM_FIELDS)


def item_of(batch_item: BatchItem, feed: str) -> FeedItem:
    """The item with its `feed` set to the batch's feed key (built directly: an ingest makes
    one per item, and `dataclasses.replace` costs twice as much)."""
    item = batch_item.item
    if item.feed == feed:
        return item
    return FeedItem(feed=feed, **dict(zip(_ITEM_FIELDS, _item_values(item), strict=True)))


def story_ids(batch: IngestBatch) -> set[str]:
    return {b.story.story_id for b in batch.items if b.story is not None}


def preview(
    items: Sequence[FeedItem], seen: dict[str, str], seen_urls: set[str]
) -> dict[str, Novelty]:
    """What ingest would call each item, given the seen rows of this feed and the seen URLs."""
    result: dict[str, Novelty] = {}
    seen, seen_urls = dict(seen), set(seen_urls)
    for item in items:
        digest = content_hash(item)
        if item.id in seen:
            changed = seen[item.id] != digest
            result[item.id] = Novelty.UPDATED if changed else Novelty.SEEN
        else:
            result[item.id] = Novelty.SEEN if item.url in seen_urls else Novelty.NEW
        seen[item.id] = digest
        if item.url:
            seen_urls.add(item.url)
    return result


class _Planner:
    def __init__(self, batch: IngestBatch, snapshot: Snapshot) -> None:
        self.batch = batch
        self.snap = snapshot
        self.plan = Plan(batch.now)
        self.counts = {"new": 0, "updated": 0, "matched": 0, "joined": 0}
        self.new_stories: list[str] = []

    def run(self, items: Sequence[FeedItem]) -> Plan:
        for batch_item, item in zip(self.batch.items, items, strict=True):
            self._item(batch_item, item)
        created = tuple(a.alert for a in self.plan.alerts)
        self.plan.outcome = IngestOutcome(
            items=len(self.batch.items),
            new=self.counts["new"],
            updated=self.counts["updated"],
            matched=self.counts["matched"],
            alerts_created=len(created),
            stories_joined=self.counts["joined"],
            deliveries=len(self.plan.deliveries),
            first_poll=self.snap.first_poll,
            alerts=created,
            new_stories=tuple(self.new_stories),
        )
        return self.plan

    def _item(self, batch_item: BatchItem, item: FeedItem) -> None:
        digest = content_hash(item)
        known = self.snap.seen.get(item.id)
        self.snap.seen[item.id] = digest
        if known is not None:
            self.plan.seen_touched.append((item.id, digest))
            if known != digest:
                self._edited(item)
            return
        self.plan.seen_new.append((item, digest))
        if item.url and item.url in self.snap.seen_urls:
            return
        if item.url:
            self.snap.seen_urls.add(item.url)
        self.counts["new"] += 1
        self.plan.items_new.append(item)
        alerting = batch_item.alerting
        self.counts["matched"] += bool(alerting)
        if alerting and (self.batch.backfill or not self.snap.first_poll):
            self._alerting(item, batch_item, alerting)

    def _edited(self, item: FeedItem) -> None:
        self.counts["updated"] += 1
        self.plan.items_edited.append(item)
        if not self.batch.notify_updates:
            return
        for found in self.snap.item_alerts.get(item.id, []):
            alert, destinations = self.snap.alerts_by_id[found]
            if alert.item.id == item.id and alert.item.feed == item.feed:
                alert = dataclasses.replace(alert, item=item)
            sources = self._sources(alert.story_id, edited=item)
            suffix = f"edit_{content_hash(item)[:12]}"
            self._deliver(alert, destinations, sources, suffix)

    def _alerting(self, item: FeedItem, batch_item: BatchItem, alerting: Iterable[Verdict]) -> None:
        decision = batch_item.story
        if decision is None:
            raise ValueError(f"alerting item {item.id!r} of {item.feed!r} has no story decision")
        story = decision.story_id
        existed = story in self.snap.stories
        if not existed:
            self.snap.stories.add(story)
            self.plan.stories.append((story, decision.signature))
            self.new_stories.append(story)
        source = Source(
            item.feed,
            item.id,
            item.title,
            item.url,
            item.published,
            self.batch.now,
            self.batch.feed_name,
        )
        self.snap.sources.setdefault(story, []).append(source)
        self.plan.sources.append((story, source))
        self.counts["joined"] += existed
        for verdict in alerting:
            self._verdict(item, story, verdict, source, decision.action)

    def _verdict(
        self, item: FeedItem, story: str, verdict: Verdict, source: Source, action: str | None
    ) -> None:
        key = (story, verdict.classification.watchlist)
        existing = self.snap.alerts.get(key)
        if existing is None:
            self._create(item, story, verdict, action)
        elif self.batch.notify_story_updates:
            suffix = f"src_{short_hash(source.feed, source.item_id)[:12]}"
            self._deliver(existing[0], verdict.destinations, self._sources(story), suffix)

    def _create(self, item: FeedItem, story: str, verdict: Verdict, action: str | None) -> None:
        watchlist = verdict.classification.watchlist
        alert = Alert(
            id=alert_id(story, watchlist),
            story_id=story,
            watchlist=watchlist,
            event="alert.created",
            created_at=self.batch.now,
            item=item,
            matches=verdict.classification.matches,
            sources=self._sources(story),
            severity=verdict.severity,
            tags=verdict.tags,
            omitted=verdict.classification.omitted,
            action=action,
            feed_name=self.batch.feed_name,
            labels=verdict.labels,
            muted=verdict.muted,
        )
        self.snap.alerts[(story, watchlist)] = (alert, verdict.destinations)
        entities = verdict.classification.entities
        self.plan.alerts.append(NewAlert(alert, verdict.destinations, entities))
        for notifier in verdict.destinations:
            delivery_id = f"msg_{alert.id}_{notifier}"
            self.plan.deliveries.append(NewDelivery(delivery_id, notifier, alert))

    def _deliver(
        self, alert: Alert, destinations: Iterable[str], sources: tuple[Source, ...], suffix: str
    ) -> None:
        updated = dataclasses.replace(alert, event="alert.updated", sources=sources)
        for notifier in destinations:
            delivery_id = f"msg_{alert.id}_{notifier}_{suffix}"
            self.plan.deliveries.append(NewDelivery(delivery_id, notifier, updated))

    def _sources(self, story: str, edited: FeedItem | None = None) -> tuple[Source, ...]:
        """The story's sources so far, with an edited item's new title and link."""
        sources = self.snap.sources.get(story, [])
        if edited is None:
            return tuple(sources)
        same = (edited.feed, edited.id)
        return tuple(
            dataclasses.replace(s, title=edited.title, url=edited.url)
            if (s.feed, s.item_id) == same
            else s
            for s in sources
        )


def plan(batch: IngestBatch, snapshot: Snapshot, items: Sequence[FeedItem] | None = None) -> Plan:
    """Decide every row an ingest writes; `snapshot` is updated as the batch is walked.
    `items` are the batch's items under its feed key (`item_of`), if already made."""
    if items is None:
        items = [item_of(b, batch.feed) for b in batch.items]
    return _Planner(batch, snapshot).run(items)
