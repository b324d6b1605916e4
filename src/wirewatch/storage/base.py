"""The `Store` protocol and the records that cross it (defined in `records`, importable here).

Every store (SQLite, PostgreSQL) implements `Store` and passes the contract suite in
tests/storage/. All times are timezone-aware UTC datetimes, and "now" is always a parameter:
a store never reads the clock. Failures surface as `StoreError`.

Ingest is the heart of it: one `IngestBatch` per poll of a feed is written in one transaction
(items, seen-set, stories, alerts, outbox rows and the feed's state) or not at all. The caller
decides classification, routing and story grouping; the store decides, authoritatively and
inside the transaction, which items are new, which are edits, and which alerts already exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Protocol, runtime_checkable

from wirewatch.delivery.silences import Silence
from wirewatch.model import FeedItem
from wirewatch.storage.records import DEFAULT_MAX_AGE as DEFAULT_MAX_AGE
from wirewatch.storage.records import DEFAULT_SEEN_MAX_AGE as DEFAULT_SEEN_MAX_AGE
from wirewatch.storage.records import AlertRecord as AlertRecord
from wirewatch.storage.records import BatchItem as BatchItem
from wirewatch.storage.records import DeliveryRecord as DeliveryRecord
from wirewatch.storage.records import DeliveryState as DeliveryState
from wirewatch.storage.records import DeliveryStatus as DeliveryStatus
from wirewatch.storage.records import Event as Event
from wirewatch.storage.records import FaultHook as FaultHook
from wirewatch.storage.records import FeedState as FeedState
from wirewatch.storage.records import FeedStatus as FeedStatus
from wirewatch.storage.records import IngestBatch as IngestBatch
from wirewatch.storage.records import IngestOutcome as IngestOutcome
from wirewatch.storage.records import NotifierHealth as NotifierHealth
from wirewatch.storage.records import Novelty as Novelty
from wirewatch.storage.records import OutboxSummary as OutboxSummary
from wirewatch.storage.records import PruneOutcome as PruneOutcome
from wirewatch.storage.records import StoredItem as StoredItem
from wirewatch.storage.records import StoryDecision as StoryDecision
from wirewatch.storage.records import StoryMemberRecord as StoryMemberRecord
from wirewatch.storage.records import StoryRecord as StoryRecord
from wirewatch.storage.records import Verdict as Verdict


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


@runtime_checkable
class OrderedIngest(Protocol):
    """A store that runs its calls in the order they are made (SQLite's one worker thread).

    `queue_ingest(batch)` puts the ingest in line at once and returns its outcome to await:
    every call made after it sees the batch written, or rolled back if it failed. A caller
    that must ingest feeds in a fixed order can then let the next feed go on before the
    first is committed. A store without it (PostgreSQL's pool) is awaited ingest by ingest.
    """

    def queue_ingest(self, batch: IngestBatch) -> Awaitable[IngestOutcome]: ...
