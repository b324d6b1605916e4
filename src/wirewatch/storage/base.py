"""`Store` and the records that cross it, importable from one place.

`Store` is defined in `sqlstore`: every store (SQLite, PostgreSQL) is one, so its methods, each
written once with its contract, are the interface. The records are defined in `records`.
`OrderedIngest`, defined here, is what a store that runs its calls in order adds to it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol, runtime_checkable

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
from wirewatch.storage.sqlstore import Store as Store


@runtime_checkable
class OrderedIngest(Protocol):
    """A store that runs its calls in the order they are made (SQLite's one worker thread).

    `queue_ingest(batch)` puts the ingest in line at once and returns its outcome to await:
    every call made after it sees the batch written, or rolled back if it failed. A caller
    that must ingest feeds in a fixed order can then let the next feed go on before the
    first is committed. A store without it (PostgreSQL's pool) is awaited ingest by ingest.
    """

    def queue_ingest(self, batch: IngestBatch) -> Awaitable[IngestOutcome]: ...
