"""The `Store` protocol and the records that cross it.

Every store (SQLite, PostgreSQL) implements `Store` and passes the contract suite in
tests/storage/. All times are timezone-aware UTC datetimes, and "now" is always a parameter:
a store never reads the clock. Failures surface as `StoreError`.

Ingest is the heart of it: one `IngestBatch` per poll of a feed is written in one transaction
(items, seen-set, stories, alerts, outbox rows and the feed's state) or not at all. The caller
decides classification, routing and story grouping; the store decides, authoritatively and
inside the transaction, which items are new, which are edits, and which alerts already exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from wirewatch.delivery.silences import Silence
from wirewatch.model import Alert, AlertEvent, Classification, FeedItem

FaultHook = Callable[[str], None]
"""Called by a store at named points inside a write transaction; tests raise from it."""

DEFAULT_MAX_AGE = timedelta(days=30)
DEFAULT_SEEN_MAX_AGE = timedelta(days=180)


class FeedStatus(StrEnum):
    OK = "ok"
    FAILING = "failing"
    GONE = "gone"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers about one feed, keyed by its configured URL.

    The poller owns the fields down to `next_due`. The store keeps the last three itself as
    items are ingested: `ingest` never takes them from the batch, `save_feed_state` writes them
    as given.
    """

    key: str
    status: FeedStatus = FeedStatus.OK
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_success: datetime | None = None
    next_due: datetime | None = None
    first_polled: datetime | None = None
    last_new_item: datetime | None = None
    publish_interval: timedelta | None = None
    """The median gap between the feed's recent items."""


class Novelty(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    SEEN = "seen"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One watchlist's classification of an item, with what routing decided for it."""

    classification: Classification
    destinations: tuple[str, ...] = ()
    severity: str | None = None
    tags: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    """(entity id, display name) of the matched entities, for the alert."""
    muted: str | None = None
    """Why the alert reaches no notifier: a drop, an inhibition, a silence (`Alert.muted`)."""


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """The story an alerting item belongs to, as story grouping found it.

    The store joins `story_id` when the story exists and creates it with `signature` (see
    `stories.Member.signature`) when it does not, so a new story and a join look alike.
    """

    story_id: str
    signature: str
    action: str | None = None


@dataclass(frozen=True, slots=True)
class BatchItem:
    item: FeedItem
    verdicts: tuple[Verdict, ...] = ()
    story: StoryDecision | None = None
    """Required when any verdict alerts; the item is recorded without alerts otherwise."""

    @property
    def alerting(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.classification.alert)


@dataclass(frozen=True, slots=True)
class IngestBatch:
    """One poll of one feed, to be written in one transaction."""

    feed: str
    now: datetime
    items: tuple[BatchItem, ...] = ()
    feed_name: str = ""
    """The feed's configured name, carried into its alerts and sources."""
    feed_state: FeedState | None = None
    backfill: bool = False
    """On a feed's first poll, alert on its items too (default: record them as seen only)."""
    notify_updates: bool = False
    """Queue an `alert.updated` delivery when an alerted item is edited."""
    notify_story_updates: bool = False
    """Queue an `alert.updated` delivery when another source joins an alerted story."""


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    items: int = 0
    new: int = 0
    updated: int = 0
    matched: int = 0
    """New items with at least one alerting verdict."""
    alerts_created: int = 0
    stories_joined: int = 0
    """New alerting (item, watchlist) pairs that joined a story already alerted."""
    deliveries: int = 0
    first_poll: bool = False
    alerts: tuple[Alert, ...] = ()
    new_stories: tuple[str, ...] = ()


class DeliveryState(StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    """Tried, failed, rescheduled: still due again."""
    DEAD = "dead"
    DELIVERED = "delivered"


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One outbox row: one event of one alert for one notifier. `alert` is what to send."""

    id: str
    alert_id: str
    notifier: str
    event: AlertEvent
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: datetime
    due_at: datetime
    alert: Alert
    lease_owner: str | None = None
    lease_until: datetime | None = None
    delivered_at: datetime | None = None
    digest_id: str | None = None
    """The digest this row was last attempted in; it is retried in that digest again."""


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    id: str
    notifier: str
    event: AlertEvent
    state: DeliveryState
    attempts: int
    last_error: str | None
    due_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class NotifierHealth:
    """What the store remembers about one destination's health (see dispatch.py).

    While `probe_at` is in the future no row of the notifier is claimed: its rows wait for the
    next probe. `failures` counts consecutive failed probes; `last_error` stays after recovery.
    """

    notifier: str
    failing: bool
    failures: int
    last_error: str | None
    failing_since: datetime | None
    probe_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    """One notifier's rows in the outbox: counts by state, and its oldest open row."""

    notifier: str
    pending: int = 0
    failed: int = 0
    dead: int = 0
    delivered: int = 0
    oldest_open: datetime | None = None
    """When the oldest pending or failed row was created."""

    @property
    def open(self) -> int:
        return self.pending + self.failed


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as `wirewatch alerts` shows it: with every source of its story so far."""

    alert: Alert
    entities: tuple[str, ...]
    deliveries: tuple[DeliveryStatus, ...]


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """What warms the story index at start."""

    id: str
    signature: str
    created_at: datetime
    watchlists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoryMemberRecord:
    """One source of a story with the text it was grouped by: what warms the story index."""

    story_id: str
    item: FeedItem
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class StoredItem:
    item: FeedItem
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class PruneOutcome:
    items: int = 0
    stories: int = 0
    alerts: int = 0
    deliveries: int = 0
    seen: int = 0
    silences: int = 0
    """Silences that ended longer than `max_age` ago."""


class Store(Protocol):
    """Persistent state of wirewatch; every method may raise `StoreError`."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version. Safe to repeat."""
        ...

    async def ping(self) -> None:
        """Raise `StoreError` unless the store answers and its schema is current."""
        ...

    async def get_feed_state(self, key: str) -> FeedState | None: ...
    async def save_feed_state(self, state: FeedState) -> None: ...
    async def list_feed_states(self) -> list[FeedState]: ...
    async def claim_feed(self, key: str, *, now: datetime, until: datetime, owner: str) -> bool:
        """Take or renew the poll lease of feed `key` until `until` if it is free, expired at
        `now` or already `owner`'s; False while another owner holds it. Instances claim a
        feed before polling it, so one polls it per interval and a dead one's feeds pass on."""
        ...

    async def feed_owners(self) -> dict[str, tuple[str, datetime]]:
        """Every feed lease as key -> (owner, lease_until), expired ones included."""
        ...

    def story_lock(self) -> AbstractAsyncContextManager[None]:
        """Held while story decisions are made and ingested, so that no two holders, in this
        process or in another one using the same database, open the same story twice."""
        ...

    async def novelty(self, feed: str, items: Sequence[FeedItem]) -> dict[str, Novelty]:
        """A read-only preview of what `ingest` would call each item (by item id)."""
        ...

    async def ingest(self, batch: IngestBatch) -> IngestOutcome: ...
    async def recent_alerts(
        self,
        since: datetime,
        *,
        watchlist: str | None = None,
        entity: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AlertRecord]:
        """Alerts created since `since`, newest first."""
        ...

    async def alert(self, alert_id: str) -> AlertRecord | None:
        """One alert by id, with its story's sources (as `recent_alerts` has it), or None."""
        ...

    async def item_counts(self, since: datetime) -> dict[str, dict[date, int]]:
        """Items first seen since `since`, per feed and UTC day."""
        ...

    async def stored_items(self, since: datetime) -> list[StoredItem]: ...
    async def recent_stories(self, since: datetime) -> list[StoryRecord]: ...
    async def story_members(
        self, since: datetime, *, story_id: str | None = None
    ) -> list[StoryMemberRecord]:
        """The sources seen since `since` (of one story, if given) with their item's text, in
        the order they were seen."""
        ...

    async def claim_deliveries(
        self, now: datetime, *, limit: int, lease_seconds: float, owner: str
    ) -> list[DeliveryRecord]:
        """Lease up to `limit` due rows (pending or failed, lease free or expired), oldest due
        first; no row is leased to two owners at once. Rows of a notifier whose `probe_at` is
        after `now` are not claimed. A claimed row that was attempted in a digest brings the
        digest's other open, free rows along (so the claim may exceed `limit`)."""
        ...

    async def mark_delivered(self, delivery_id: str, now: datetime) -> None: ...
    async def mark_delivered_many(self, delivery_ids: Sequence[str], now: datetime) -> None:
        """Mark every row of one sent digest delivered, all or none."""
        ...

    async def reschedule(
        self,
        delivery_id: str,
        *,
        due_at: datetime,
        error: str,
        attempt: int,
        digest_id: str | None = None,
    ) -> None:
        """Failed, tried again at `due_at`; `digest_id` when it was attempted in a digest."""
        ...

    async def release(self, delivery_ids: Sequence[str]) -> None:
        """Free the leases of rows claimed but not sent, changing nothing else."""
        ...

    async def expire_deliveries(self, notifier: str, created_before: datetime, reason: str) -> int:
        """Dead-letter the notifier's open rows created at or before `created_before`; how many."""
        ...

    async def save_notifier_health(self, health: NotifierHealth) -> None: ...
    async def notifier_health(self) -> list[NotifierHealth]: ...
    async def outbox_summary(self) -> list[OutboxSummary]:
        """Per notifier with rows: counts by state and the creation time of its oldest open row."""
        ...

    async def postpone(self, delivery_id: str, *, due_at: datetime, note: str) -> None:
        """Not sent yet by choice (a rate limit, a digest): due at `due_at`, its state and
        attempts unchanged, its lease freed; `note` shows why, unless it already has an error."""
        ...

    async def dead_letter(
        self, delivery_id: str, reason: str, *, attempts: int | None = None
    ) -> None:
        """Give the row up with `reason`; `attempts`, when given, is its count of tries."""
        ...

    async def list_deliveries(
        self, state: DeliveryState | None = None, *, limit: int = 1000
    ) -> list[DeliveryRecord]: ...
    async def requeue(
        self,
        now: datetime,
        ids: Sequence[str] | None = None,
        *,
        states: Sequence[DeliveryState] = (DeliveryState.DEAD,),
        notifier: str | None = None,
    ) -> int:
        """Make rows due now with a fresh attempt count: `ids` (dead or failed), or, when `ids`
        is None, every row in `states` (dead or failed), of `notifier` when given. Returns how
        many were requeued."""
        ...

    async def outbox_depth(self) -> int:
        """Rows still to deliver (pending or failed)."""
        ...

    async def outbox_depth_by_notifier(self) -> dict[str, int]:
        """Rows still to deliver, per notifier name (notifiers with none are left out)."""
        ...

    async def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        seen_max_age: timedelta = DEFAULT_SEEN_MAX_AGE,
    ) -> PruneOutcome:
        """Delete items, stories and fully delivered alerts older than `max_age`, silences that
        ended longer ago than that, and seen ids not seen in a feed for `seen_max_age` (which
        must be the longer)."""
        ...

    async def add_silence(self, silence: Silence) -> None:
        """Store a new silence (its id is new)."""
        ...

    async def list_silences(self, *, limit: int = 500) -> list[Silence]:
        """Every silence, expired ones too, newest first."""
        ...

    async def active_silences(self, now: datetime) -> list[Silence]:
        """The silences in force at `now`."""
        ...

    async def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        """End a silence at `now` (one that ended already keeps its end); None if unknown."""
        ...
