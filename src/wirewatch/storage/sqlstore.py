"""`SqlStore`: every `Store` method written once, over a dialect and its runner.

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
from wirewatch.storage import base, outbox
from wirewatch.storage.base import DEFAULT_MAX_AGE, DEFAULT_SEEN_MAX_AGE, DeliveryState, FaultHook
from wirewatch.storage.schema import Name, current_version, latest_version
from wirewatch.storage.sql import Dialect, Steps, count

T = TypeVar("T")


def _no_fault(point: str) -> None:
    return None


class SqlStore(ABC):
    """The `Store` protocol over `dialect`; see the module docstring for what subclasses add."""

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
    async def migrate(self) -> int: ...

    @abstractmethod
    def story_lock(self) -> AbstractAsyncContextManager[None]: ...

    @abstractmethod
    async def _read(self, steps: Steps[T]) -> T: ...

    @abstractmethod
    async def _write(self, steps: Steps[T]) -> T: ...

    @abstractmethod
    async def _transaction(self, steps: Steps[T]) -> T: ...

    async def ping(self) -> None:
        version = await self._read(current_version(self.dialect))
        if version < latest_version(self.name):
            raise StoreError(f"{self.where}: schema {version} needs `wirewatch db migrate`")

    async def get_feed_state(self, key: str) -> base.FeedState | None:
        return await self._read(feeds.get(self.codec, key))

    async def save_feed_state(self, state: base.FeedState) -> None:
        await self._write(feeds.save(self.codec, state))

    async def list_feed_states(self) -> list[base.FeedState]:
        return await self._read(feeds.list_all(self.codec))

    async def claim_feed(self, key: str, *, now: datetime, until: datetime, owner: str) -> bool:
        return await self._write(feeds.claim(self.codec, key, now, until, owner))

    async def feed_owners(self) -> dict[str, tuple[str, datetime]]:
        return await self._read(feeds.owners(self.codec))

    async def novelty(self, feed: str, items: Sequence[FeedItem]) -> dict[str, base.Novelty]:
        return await self._read(ingesting.novelty(feed, items))

    async def ingest(self, batch: base.IngestBatch) -> base.IngestOutcome:
        return await self._transaction(ingesting.ingest(self.dialect, batch, self._fault))

    async def recent_alerts(
        self,
        since: datetime,
        *,
        watchlist: str | None = None,
        entity: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[base.AlertRecord]:
        steps = queries.recent_alerts(self.codec, since, watchlist, entity, limit, offset)
        return await self._read(steps)

    async def alert(self, alert_id: str) -> base.AlertRecord | None:
        return await self._read(queries.alert_record(self.codec, alert_id))

    async def item_counts(self, since: datetime) -> dict[str, dict[date, int]]:
        return await self._read(queries.item_counts(self.dialect, since))

    async def stored_items(self, since: datetime) -> list[base.StoredItem]:
        return await self._read(queries.stored_items(self.codec, since))

    async def recent_stories(self, since: datetime) -> list[base.StoryRecord]:
        return await self._read(queries.recent_stories(self.codec, since))

    async def story_members(
        self, since: datetime, *, story_id: str | None = None
    ) -> list[base.StoryMemberRecord]:
        return await self._read(queries.story_members(self.codec, since, story_id))

    async def claim_deliveries(
        self, now: datetime, *, limit: int, lease_seconds: float, owner: str
    ) -> list[base.DeliveryRecord]:
        return await self._write(outbox.claim(self.dialect, now, limit, lease_seconds, owner))

    async def mark_delivered(self, delivery_id: str, now: datetime) -> None:
        await self._write(outbox.mark_delivered(self.codec, delivery_id, now))

    async def mark_delivered_many(self, delivery_ids: Sequence[str], now: datetime) -> None:
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
        steps = outbox.reschedule(self.codec, delivery_id, due_at, error, attempt, digest_id)
        await self._write(steps)

    async def release(self, delivery_ids: Sequence[str]) -> None:
        await self._write(outbox.release(delivery_ids))

    async def expire_deliveries(self, notifier: str, created_before: datetime, reason: str) -> int:
        return await self._write(outbox.expire(self.codec, notifier, created_before, reason))

    async def save_notifier_health(self, health: base.NotifierHealth) -> None:
        await self._write(outbox.save_health(self.codec, health))

    async def notifier_health(self) -> list[base.NotifierHealth]:
        return await self._read(outbox.list_health(self.codec))

    async def outbox_summary(self) -> list[base.OutboxSummary]:
        return await self._read(outbox.summary(self.codec))

    async def postpone(self, delivery_id: str, *, due_at: datetime, note: str) -> None:
        await self._write(outbox.postpone(self.codec, delivery_id, due_at, note))

    async def dead_letter(
        self, delivery_id: str, reason: str, *, attempts: int | None = None
    ) -> None:
        await self._write(outbox.dead_letter(delivery_id, reason, attempts))

    async def list_deliveries(
        self, state: DeliveryState | None = None, *, limit: int = 1000
    ) -> list[base.DeliveryRecord]:
        return await self._read(outbox.list_rows(self.codec, state, limit))

    async def requeue(
        self,
        now: datetime,
        ids: Sequence[str] | None = None,
        *,
        states: Sequence[DeliveryState] = (DeliveryState.DEAD,),
        notifier: str | None = None,
    ) -> int:
        return await self._write(outbox.requeue(self.codec, now, ids, states, notifier))

    async def outbox_depth(self) -> int:
        return await self._read(outbox.depth())

    async def outbox_depth_by_notifier(self) -> dict[str, int]:
        return await self._read(outbox.depth_by_notifier())

    async def prune(
        self,
        now: datetime,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        seen_max_age: timedelta = DEFAULT_SEEN_MAX_AGE,
    ) -> base.PruneOutcome:
        """One retention pass; each step is its own short transaction and leaves a consistent
        database, so a pass cut short is simply finished by the next one."""
        params = queries.prune_params(self.codec, now, max_age, seen_max_age)
        counts: dict[str, int] = {}
        for name, statement in queries.PRUNE.items():
            counts[name] = await self._write(count(statement, **params))
        return base.PruneOutcome(**counts)

    async def add_silence(self, silence: Silence) -> None:
        await self._write(silences.add(self.codec, silence))

    async def list_silences(self, *, limit: int = 500) -> list[Silence]:
        return await self._read(silences.list_all(self.codec, limit))

    async def active_silences(self, now: datetime) -> list[Silence]:
        return await self._read(silences.active(self.codec, now))

    async def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        return await self._transaction(silences.expire(self.codec, silence_id, now))
