"""`Store`: what every store (SQLite, PostgreSQL) is, each method written once over a dialect.

Every store passes the contract suite in tests/storage/. All times are timezone-aware UTC
datetimes, and "now" is always a parameter: a store never reads the clock. Failures surface as
`StoreError`.

Ingest is the heart of it: one `IngestBatch` per poll of a feed is written in one transaction
(items, seen-set, stories, alerts, outbox rows and the feed's state) or not at all. The caller
decides classification, routing and story grouping; the store decides, authoritatively and
inside the transaction, which items are new, which are edits, and which alerts already exist.

A subclass supplies the dialect (`sql.Dialect`), opening and closing, migrations, the story
lock, and three ways to run an operation's steps: `_read` (no transaction), `_write` (one
write: a statement that is atomic by itself, or on SQLite a short write transaction) and
`_transaction` (several statements committed together or not at all).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Self, TypeVar

from wirewatch.delivery.silences import Silence
from wirewatch.errors import StoreError
from wirewatch.model import FeedItem
from wirewatch.storage import _feeds as feeds
from wirewatch.storage import _ingest as ingesting
from wirewatch.storage import _queries as queries
from wirewatch.storage import _silences as silences
from wirewatch.storage import outbox, records
from wirewatch.storage.records import (
    DEFAULT_MAX_AGE,
    DEFAULT_SEEN_MAX_AGE,
    DeliveryState,
    FaultHook,
)
from wirewatch.storage.schema import Name, current_version, latest_version
from wirewatch.storage.sql import Dialect, Steps, count

T = TypeVar("T")


def _no_fault(point: str) -> None:
    return None


class Store(ABC):
    """Persistent state of wirewatch over `dialect`; every method may raise `StoreError`."""

    name: Name
    where: str
    """Where the database is, for error text (never a password)."""

    def __init__(self, dialect: Dialect, faults: FaultHook | None) -> None:
        self.dialect = dialect
        self.codec = dialect.codec
        self._fault = faults or _no_fault

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version. Safe to repeat."""

    @abstractmethod
    def story_lock(self) -> AbstractAsyncContextManager[None]:
        """Held while story decisions are made and ingested, so that no two holders, in this
        process or in another one using the same database, open the same story twice."""

    @abstractmethod
    async def _read(self, steps: Steps[T]) -> T: ...

    @abstractmethod
    async def _write(self, steps: Steps[T]) -> T: ...

    @abstractmethod
    async def _transaction(self, steps: Steps[T]) -> T: ...

    async def ping(self) -> None:
        """Raise `StoreError` unless the store answers and its schema is current."""
        version = await self._read(current_version(self.dialect))
        if version < latest_version(self.name):
            raise StoreError(f"{self.where}: schema {version} needs `wirewatch db migrate`")

    async def get_feed_state(self, key: str) -> records.FeedState | None:
        return await self._read(feeds.get(self.codec, key))

    async def save_feed_state(self, state: records.FeedState) -> None:
        await self._write(feeds.save(self.codec, state))

    async def list_feed_states(self) -> list[records.FeedState]:
        return await self._read(feeds.list_all(self.codec))

    async def claim_feed(self, key: str, *, now: datetime, until: datetime, owner: str) -> bool:
        """Take or renew the poll lease of feed `key` until `until` if it is free, expired at
        `now` or already `owner`'s; False while another owner holds it. Instances claim a
        feed before polling it, so one polls it per interval and a dead one's feeds pass on."""
        return await self._write(feeds.claim(self.codec, key, now, until, owner))

    async def feed_owners(self) -> dict[str, tuple[str, datetime]]:
        """Every feed lease as key -> (owner, lease_until), expired ones included."""
        return await self._read(feeds.owners(self.codec))

    async def novelty(self, feed: str, items: Sequence[FeedItem]) -> dict[str, records.Novelty]:
        """A read-only preview of what `ingest` would call each item (by item id)."""
        return await self._read(ingesting.novelty(feed, items))

    async def ingest(self, batch: records.IngestBatch) -> records.IngestOutcome:
        return await self._transaction(ingesting.ingest(self.dialect, batch, self._fault))

    async def recent_alerts(
        self,
        since: datetime,
        *,
        watchlist: str | None = None,
        entity: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[records.AlertRecord]:
        """Alerts created since `since`, newest first."""
        steps = queries.recent_alerts(self.codec, since, watchlist, entity, limit, offset)
        return await self._read(steps)

    async def alert(self, alert_id: str) -> records.AlertRecord | None:
        """One alert by id, with its story's sources (as `recent_alerts` has it), or None."""
        return await self._read(queries.alert_record(self.codec, alert_id))

    async def item_counts(self, since: datetime) -> dict[str, dict[date, int]]:
        """Items first seen since `since`, per feed and UTC day."""
        return await self._read(queries.item_counts(self.dialect, since))

    async def stored_items(self, since: datetime) -> list[records.StoredItem]:
        return await self._read(queries.stored_items(self.codec, since))

    async def recent_stories(self, since: datetime) -> list[records.StoryRecord]:
        return await self._read(queries.recent_stories(self.codec, since))

    async def story_members(
        self, since: datetime, *, story_id: str | None = None
    ) -> list[records.StoryMemberRecord]:
        """The sources seen since `since` (of one story, if given) with their item's text, in
        the order they were seen."""
        return await self._read(queries.story_members(self.codec, since, story_id))

    async def claim_deliveries(
        self, now: datetime, *, limit: int, lease_seconds: float, owner: str
    ) -> list[records.DeliveryRecord]:
        """Lease up to `limit` due rows (pending or failed, lease free or expired), oldest due
        first; no row is leased to two owners at once. Rows of a notifier whose `probe_at` is
        after `now` are not claimed. A claimed row that was attempted in a digest brings the
        digest's other open, free rows along (so the claim may exceed `limit`)."""
        return await self._write(outbox.claim(self.dialect, now, limit, lease_seconds, owner))

    async def mark_delivered(self, delivery_id: str, now: datetime) -> None:
        await self._write(outbox.mark_delivered(self.codec, delivery_id, now))

    async def mark_delivered_many(self, delivery_ids: Sequence[str], now: datetime) -> None:
        """Mark every row of one sent digest delivered, all or none."""
        await self._write(outbox.mark_delivered_many(self.codec, delivery_ids, now))

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
        steps = outbox.reschedule(self.codec, delivery_id, due_at, error, attempt, digest_id)
        await self._write(steps)

    async def release(self, delivery_ids: Sequence[str]) -> None:
        """Free the leases of rows claimed but not sent, changing nothing else."""
        await self._write(outbox.release(delivery_ids))

    async def expire_deliveries(self, notifier: str, created_before: datetime, reason: str) -> int:
        """Dead-letter the notifier's open rows created at or before `created_before`; how many."""
        return await self._write(outbox.expire(self.codec, notifier, created_before, reason))

    async def save_notifier_health(self, health: records.NotifierHealth) -> None:
        await self._write(outbox.save_health(self.codec, health))

    async def notifier_health(self) -> list[records.NotifierHealth]:
        return await self._read(outbox.list_health(self.codec))

    async def outbox_summary(self) -> list[records.OutboxSummary]:
        """Per notifier with rows: counts by state and the creation time of its oldest open row."""
        return await self._read(outbox.summary(self.codec))

    async def postpone(self, delivery_id: str, *, due_at: datetime, note: str) -> None:
        """Not sent yet by choice (a rate limit, a digest): due at `due_at`, its state and
        attempts unchanged, its lease freed; `note` shows why, unless it already has an error."""
        await self._write(outbox.postpone(self.codec, delivery_id, due_at, note))

    async def dead_letter(
        self, delivery_id: str, reason: str, *, attempts: int | None = None
    ) -> None:
        """Give the row up with `reason`; `attempts`, when given, is its count of tries."""
        await self._write(outbox.dead_letter(delivery_id, reason, attempts))

    async def list_deliveries(
        self, state: DeliveryState | None = None, *, limit: int = 1000
    ) -> list[records.DeliveryRecord]:
        return await self._read(outbox.list_rows(self.codec, state, limit))

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
        return await self._write(outbox.requeue(self.codec, now, ids, states, notifier))

    async def outbox_depth(self) -> int:
        """Rows still to deliver (pending or failed)."""
        return await self._read(outbox.depth())

    async def outbox_depth_by_notifier(self) -> dict[str, int]:
        """Rows still to deliver, per notifier name (notifiers with none are left out)."""
        return await self._read(outbox.depth_by_notifier())

    async def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        seen_max_age: timedelta = DEFAULT_SEEN_MAX_AGE,
    ) -> records.PruneOutcome:
        """Delete items, stories and fully delivered alerts older than `max_age`, silences that
        ended longer ago than that, and seen ids not seen in a feed for `seen_max_age` (which
        must be the longer). Each step is its own short transaction and leaves a consistent
        database, so a pass cut short is simply finished by the next one."""
        params = queries.prune_params(self.codec, now, max_age, seen_max_age)
        counts: dict[str, int] = {}
        for name, statement in queries.PRUNE.items():
            counts[name] = await self._write(count(statement, **params))
        return records.PruneOutcome(**counts)

    async def add_silence(self, silence: Silence) -> None:
        """Store a new silence (its id is new)."""
        await self._write(silences.add(self.codec, silence))

    async def list_silences(self, *, limit: int = 500) -> list[Silence]:
        """Every silence, expired ones too, newest first."""
        return await self._read(silences.list_all(self.codec, limit))

    async def active_silences(self, now: datetime) -> list[Silence]:
        """The silences in force at `now`."""
        return await self._read(silences.active(self.codec, now))

    async def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        """End a silence at `now` (one that ended already keeps its end); None if unknown."""
        return await self._transaction(silences.expire(self.codec, silence_id, now))
