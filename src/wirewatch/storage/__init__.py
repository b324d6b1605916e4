"""Persistent state behind one `Store` protocol: feeds, seen items, stories, alerts, outbox.

`base` holds the protocol and its records, `sqlite` the embedded store, `postgres` the store
that several instances share; app.py picks one from `storage.url`.
"""

from wirewatch.storage.base import (
    AlertRecord,
    BatchItem,
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    FeedState,
    FeedStatus,
    IngestBatch,
    IngestOutcome,
    NotifierHealth,
    Novelty,
    OutboxSummary,
    PruneOutcome,
    Store,
    StoredItem,
    StoryDecision,
    StoryMemberRecord,
    StoryRecord,
    Verdict,
)
from wirewatch.storage.silence import is_silent, median_gap

__all__ = [
    "AlertRecord",
    "BatchItem",
    "DeliveryRecord",
    "DeliveryState",
    "DeliveryStatus",
    "FeedState",
    "FeedStatus",
    "IngestBatch",
    "IngestOutcome",
    "NotifierHealth",
    "Novelty",
    "OutboxSummary",
    "PruneOutcome",
    "Store",
    "StoredItem",
    "StoryDecision",
    "StoryMemberRecord",
    "StoryRecord",
    "Verdict",
    "is_silent",
    "median_gap",
]
