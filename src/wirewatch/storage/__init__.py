"""Persistent state behind one `Store` class: feeds, seen items, stories, alerts, outbox.

`sqlstore` defines `Store`, `records` the records that cross it, `base` names both in one
place; `sqlite` is the embedded store and `postgres` the store that several instances share;
app.py picks one from `storage.url`.

The SQL is written once. `sql` defines statements with `:name` parameters and runs store
operations as steps; `_feeds`, `_ingest`, `outbox`, `_queries` and `_silences` hold the
statements and steps of each part, `_plan` the dedup rules, `_rows` and `codec` the conversions,
and `sqlstore.Store` every store method (`outbox` and `sqlstore` are public because
the dialects build on them). The `sqlite/` and `postgres/` subpackages hold only
what differs: how statements run (a worker thread, a psycopg pool), claims (`SKIP LOCKED`),
list parameters (`ANY` or chunked `IN`), locks (advisory locks or `flock`), time and list codecs,
and migrations (`schema` loads the files of `migrations/<dialect>/`).
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
    OrderedIngest,
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
    "OrderedIngest",
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
