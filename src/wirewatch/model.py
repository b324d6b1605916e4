"""Frozen values passed between the pipeline stages.

feeds -> FetchResult -> FeedItem -> Classification (Matches) -> Alert (Story, Sources) -> Delivery
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, NamedTuple

EntityKind = Literal["place", "actor"]

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime; injected so tests control time."""


def utc_now() -> datetime:
    """The real `Clock`."""
    return datetime.now(UTC)


AlertEvent = Literal["alert.created", "alert.updated"]
"""What happened to one alert: the event of the alert and of its outbox rows."""
Event = Literal[AlertEvent, "alert.digest"]
"""What a delivery tells its destination: an alert's event, or a digest of several rows."""
EVENTS: tuple[Event, ...] = ("alert.created", "alert.updated", "alert.digest")
FIELDS: tuple[str, ...] = ("title", "summary", "content")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, reduced to plain text and UTC times."""

    id: str
    feed: str = ""
    title: str = ""
    summary: str = ""
    content: str = ""
    url: str = ""
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    language: str | None = None

    def text_of(self, field_name: str) -> str:
        value: str = getattr(self, field_name)
        return value


class Match(NamedTuple):
    """One occurrence of an entity's name in one field of an item.

    `start` and `end` are offsets into the field's plain text; `text` is what stands there.
    A named tuple rather than a frozen dataclass: a big watchlist makes millions of these, and
    a tuple is made three times faster.
    """

    entity: str
    kind: EntityKind
    name: str
    field: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Classification:
    """What a watchlist says about one item."""

    watchlist: str
    item_id: str
    alert: bool
    matches: tuple[Match, ...] = ()
    omitted: tuple[tuple[str, int], ...] = ()
    """(entity, count) of the matches not reported, beyond the cap per entity."""

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.entity for m in self.matches))


class FetchStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one conditional GET of a feed."""

    status: FetchStatus
    url: str
    http_status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None
    retry_after: float | None = None
    error: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class Source:
    """One report of a story: which feed carried it, under which title and link."""

    feed: str
    item_id: str
    title: str
    url: str
    published: datetime | None
    seen_at: datetime
    feed_name: str = ""
    """The feed's configured name ("" when it has none, or for reports stored before names)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """A new story that a watchlist flagged: what notifiers render and deliver."""

    id: str
    story_id: str
    watchlist: str
    event: AlertEvent
    created_at: datetime
    item: FeedItem
    matches: tuple[Match, ...]
    sources: tuple[Source, ...] = ()
    severity: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    omitted: tuple[tuple[str, int], ...] = ()
    """(entity, count) of the matches not in `matches`, beyond the cap per entity."""
    action: str | None = None
    """The kind of action the story reports (`events.Event.action`), when its text names one."""
    feed_name: str = ""
    """The configured name of the item's feed ("" when it has none)."""
    labels: tuple[tuple[str, str], ...] = ()
    """(entity id, display name) of each matched entity: its watchlist `label`, else its
    first name. Empty for alerts stored before labels; renderers then fall back to a match."""

    def label_of(self, entity: str) -> str:
        """The display name of a matched entity."""
        found = dict(self.labels).get(entity)
        return found or next((m.name for m in self.matches if m.entity == entity), entity)

    @property
    def feed_label(self) -> str:
        """The feed's configured name, else its URL."""
        return self.feed_name or self.item.feed

    muted: str | None = None
    """Why no notifier was sent this alert: `drop: <route>`, `inhibited by <alert> (inhibit[i])`
    or `silence <id>: <comment>`; None when it was routed as usual."""
