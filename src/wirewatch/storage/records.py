"""The records that cross a `Store` (see `sqlstore`): frozen dataclasses and enums.

All times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from wirewatch.model import Alert, AlertEvent, Classification, FeedItem

Event = AlertEvent
"""What happened to one alert (`model.AlertEvent`): the event of its outbox rows."""
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
class DeliveryStatus:
    """Where one outbox row stands: one event of one alert for one notifier."""

    id: str
    notifier: str
    event: Event
    state: DeliveryState
    attempts: int
    last_error: str | None
    due_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord(DeliveryStatus):
    """One whole outbox row: its status, and `alert`, what to send."""

    alert_id: str
    created_at: datetime
    alert: Alert
    lease_owner: str | None = None
    lease_until: datetime | None = None
    digest_id: str | None = None
    """The digest this row was last attempted in; it is retried in that digest again."""


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
    """A stored story: its id, the signature it was opened with, when, and its watchlists
    (`Store.recent_stories`; the index is warmed from `story_members`)."""

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
