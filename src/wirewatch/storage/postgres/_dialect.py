"""What PostgreSQL does its own way: native times and arrays, claims with `SKIP LOCKED`, and
advisory locks that let several instances ingest at once.

Lock keys: the one-number form of `pg_advisory_lock` holds the store-wide locks (migrations,
story decisions); the two-number form, a key space of its own, holds an ingest's locks on one
feed, on the canonical URLs it may call new and on the stories it touches. Those are hashed
into buckets so one transaction never holds more than a few thousand locks; a collision only
makes two ingests wait for each other.

A claim locks due rows whose lease is free or expired, skipping rows another claimer is
locking at that moment, and leases them to its owner in the same statement: no row is leased
to two owners at once, and a row leased by an instance that died is claimable again, under the
same id, once its lease ends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from wirewatch.storage.codec import Codec
from wirewatch.storage.outbox import FIELDS, LEASE_FREE, NOT_PAUSED, OPEN
from wirewatch.storage.sql import Row, Statement, Steps, one, rows

STORY_LOCK = 0x7772_7700_0000_0002
FEED_SPACE, URL_SPACE, STORY_SPACE = 1, 2, 3
BUCKETS = 1024
"""Lock buckets per key space for URLs and stories (feeds get the whole 32 bits)."""


def at(value: datetime) -> datetime:
    """A UTC-aware datetime for a query; naive datetimes are a programming error."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime given to the store: {value!r}")
    return value.astimezone(UTC)


def _at_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else at(value)


def _utc_or_none(value: datetime | None) -> datetime | None:
    """A timestamptz read back, in UTC whatever the session's time zone."""
    return None if value is None else value.astimezone(UTC)


def _day(value: Any) -> date:
    return value  # type: ignore[no-any-return]


NATIVE = Codec(_at_or_none, _utc_or_none, list, tuple, _day)
"""PostgreSQL keeps times as timestamptz, lists of strings as text[]."""


def _hash32(text: str) -> int:
    """A stable signed 32-bit hash (PostgreSQL's int4)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=4).digest(), "big", signed=True
    )


def lock_keys(urls: Iterable[str] = (), stories: Iterable[str] = ()) -> list[tuple[int, int]]:
    """The (space, key) pairs an ingest locks, sorted, so that ingests never deadlock."""
    keys = {(URL_SPACE, _hash32(u) % BUCKETS) for u in urls if u}
    keys |= {(STORY_SPACE, _hash32(s) % BUCKETS) for s in stories}
    return sorted(keys)


_LOCK_FEED = Statement("SELECT pg_advisory_xact_lock(:space, :key)")
_LOCK_ALL = Statement(
    "SELECT pg_advisory_xact_lock(s, k) FROM unnest(:spaces::int4[], :keys::int4[]) AS t(s, k)"
)
_CLAIM = Statement(f"""
WITH due AS (
    SELECT id, digest_id FROM outbox
    WHERE {OPEN} AND due_at <= :now AND {LEASE_FREE} AND {NOT_PAUSED}
    ORDER BY due_at, id LIMIT :limit
    FOR UPDATE SKIP LOCKED
), fellows AS (
    SELECT id FROM outbox
    WHERE {OPEN} AND {LEASE_FREE}
      AND digest_id IN (SELECT digest_id FROM due WHERE digest_id IS NOT NULL)
      AND id NOT IN (SELECT id FROM due)
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET lease_owner = :owner, lease_until = :until
FROM (SELECT id FROM due UNION SELECT id FROM fellows) picked, alerts a
WHERE o.id = picked.id AND a.id = o.alert_id
RETURNING {FIELDS}
""")


class PostgresDialect:
    codec = NATIVE
    item_counts = Statement(
        "SELECT feed, (first_seen AT TIME ZONE 'UTC')::date, count(*) FROM items"
        " WHERE first_seen >= :since GROUP BY 1, 2"
    )
    has_versions = Statement("SELECT to_regclass('schema_version') IS NOT NULL")

    def lock_feed(self, feed: str) -> Steps[None]:
        """Serialise ingests of one feed until the transaction ends."""
        yield from one(_LOCK_FEED, space=FEED_SPACE, key=_hash32(feed))

    def lock_news(self, urls: Iterable[str], stories: Iterable[str]) -> Steps[None]:
        """Take transaction locks on the URLs and stories, in a fixed order (`lock_keys`)."""
        keys = lock_keys(urls, stories)
        if keys:
            yield from rows(_LOCK_ALL, spaces=[s for s, _ in keys], keys=[k for _, k in keys])

    def claim(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> Steps[list[Row]]:
        until = at(now) + timedelta(seconds=lease_seconds)
        return (yield from rows(_CLAIM, now=at(now), limit=limit, owner=owner, until=until))
