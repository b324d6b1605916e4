"""What SQLite does its own way: times and lists as text, claims inside a write transaction.

A whole ingest or claim is one `BEGIN IMMEDIATE` transaction, which locks the file against
other writers, so the ingest locks of `sql.Dialect` take nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from wirewatch import fastjson
from wirewatch.storage.codec import Codec, dt_or_none, ts_or_none
from wirewatch.storage.outbox import FIELDS, LEASE_FREE, NOT_PAUSED, OPEN
from wirewatch.storage.sql import Row, Statement, Steps, count, rows


def _array(values: Sequence[str]) -> str:
    if not values:  # most items have no authors or tags
        return "[]"
    return fastjson.dumps(list(values)).decode()  # '["a","b"]': what json.loads reads too


def _read_array(value: Any) -> tuple[str, ...]:
    return tuple(fastjson.loads(value))


TEXT = Codec(ts_or_none, dt_or_none, _array, _read_array, date.fromisoformat)
"""SQLite keeps times as sortable UTC text, lists of strings as JSON text."""

_DUE = Statement(
    f"SELECT id, digest_id FROM outbox WHERE {OPEN} AND due_at <= :now"
    f" AND {LEASE_FREE} AND {NOT_PAUSED} ORDER BY due_at, id LIMIT :limit"
)
_FELLOWS = Statement(
    f"SELECT id FROM outbox WHERE {OPEN} AND {LEASE_FREE} AND digest_id IN (:digests)",
    expand="digests",
)
_LEASE = Statement(
    "UPDATE outbox SET lease_owner = :owner, lease_until = :until WHERE id IN (:ids)",
    expand="ids",
)
_CLAIMED = Statement(
    f"SELECT {FIELDS} FROM outbox o JOIN alerts a ON a.id = o.alert_id WHERE o.id IN (:ids)",
    expand="ids",
)


class SqliteDialect:
    codec = TEXT
    item_counts = Statement(
        "SELECT feed, substr(first_seen, 1, 10), count(*) FROM items WHERE first_seen >= :since"
        " GROUP BY 1, 2"
    )
    has_versions = Statement(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )

    def lock_feed(self, feed: str) -> Steps[None]:
        yield from ()

    def lock_news(self, urls: Iterable[str], stories: Iterable[str]) -> Steps[None]:
        yield from ()

    def claim(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> Steps[list[Row]]:
        """Due rows and their digests' other open, free rows, leased in the caller's write
        transaction (which no other writer can enter)."""
        at = TEXT.time(now)
        until = TEXT.time(now + timedelta(seconds=lease_seconds))
        found = yield from rows(_DUE, now=at, limit=limit)
        ids = [row[0] for row in found]
        digests = {row[1] for row in found if row[1] is not None}
        fellows = yield from rows(_FELLOWS, now=at, digests=digests)
        ids += [row[0] for row in fellows if row[0] not in ids]
        yield from count(_LEASE, owner=owner, until=until, ids=ids)
        return (yield from rows(_CLAIMED, ids=ids))
