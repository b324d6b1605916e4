"""Contract: migrations, readiness, restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.storage.conftest import MakeStore
from tests.storage.storecase import FEED_A, alerting, batch, item, polled_once
from wirewatch.errors import StoreError
from wirewatch.storage import FeedState, Novelty, Store


async def test_migrate_is_idempotent(make_store: MakeStore) -> None:
    """Migrating again, from the same or another store, keeps the version and the data."""
    store = await make_store()
    version = await store.migrate()
    await polled_once(store)
    await store.ingest(batch(alerting(item("a1"))))

    again = await make_store()

    assert version == await again.migrate()
    assert version == await store.migrate()
    assert 1 == len(await again.list_deliveries())


async def test_version_is_positive(store: Store) -> None:
    """The schema version is a positive number."""
    assert 0 < await store.migrate()


async def test_ping_needs_a_current_schema(make_store: MakeStore) -> None:
    """A store answers ping only once its schema is migrated."""
    store = await make_store(migrate=False)
    with pytest.raises(StoreError):
        await store.ping()
    await store.migrate()
    await store.ping()


async def test_closed_store_raises_store_error(make_store: MakeStore) -> None:
    """Calls on a closed store fail with StoreError, not a library exception."""
    store = await make_store()
    await store.close()
    with pytest.raises(StoreError):
        await store.outbox_depth()


async def test_state_survives_a_restart(make_store: MakeStore) -> None:
    """What one store wrote, the next store over the same database knows."""
    first = await make_store()
    await polled_once(first)
    await first.ingest(batch(alerting(item("a1"))))
    await first.close()

    second = await make_store()

    assert {"a1": Novelty.SEEN} == await second.novelty(FEED_A, [item("a1")])
    assert 1 == await second.outbox_depth()


async def test_concurrent_migrations_apply_once(make_store: MakeStore) -> None:
    """Two stores migrating one fresh database at once both end at the same version."""
    first = await make_store(migrate=False)
    second = await make_store(migrate=False)
    versions = await asyncio.gather(first.migrate(), second.migrate())
    assert versions[0] == versions[1]
    await first.ping()


async def test_naive_times_are_refused(store: Store) -> None:
    """A datetime without a time zone is a programming error, not a guess."""
    with pytest.raises(ValueError, match="naive"):
        await store.ingest(batch(alerting(item("a1")), now=datetime(2024, 12, 1, 12)))


async def test_times_come_back_in_utc(store: Store) -> None:
    """An aware time in another zone comes back as the same instant, in UTC."""
    paris = datetime(2024, 12, 1, 13, tzinfo=timezone(timedelta(hours=1)))
    await store.save_feed_state(FeedState(key=FEED_A, last_success=paris))
    saved = await store.get_feed_state(FEED_A)
    assert saved is not None and saved.last_success is not None
    assert (paris, UTC) == (saved.last_success, saved.last_success.tzinfo)
