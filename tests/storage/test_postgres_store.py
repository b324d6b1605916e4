"""What only the PostgreSQL store promises: several instances (stores) on one database.

Every store here is a separate `PostgresStore` with its own connections, as separate
instances would be; races are real at the database.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import psycopg
import pytest

from tests.storage.pgcase import fresh_database
from tests.storage.storecase import (
    FEED_A,
    FEED_B,
    T0,
    alerting,
    batch,
    item,
    polled_once,
    verdict,
)
from wirewatch.errors import StoreError
from wirewatch.storage import Store
from wirewatch.storage.postgres import PostgresStore
from wirewatch.storage.schema import migrations

pytestmark = pytest.mark.postgres

Stores = Callable[[int], Awaitable[list[PostgresStore]]]


@pytest.fixture
async def db_url() -> AsyncIterator[str]:
    """A fresh database of this test's own."""
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def stores(db_url: str) -> AsyncIterator[Stores]:
    """Opens `n` migrated stores over the test's database; closes them all at the end."""
    opened: list[PostgresStore] = []

    async def make(n: int) -> list[PostgresStore]:
        made = [PostgresStore(db_url) for _ in range(n)]
        for store in made:
            await store.open()
            opened.append(store)
        await asyncio.gather(*(s.migrate() for s in made))
        return made

    yield make
    for store in opened:
        await store.close()


async def count(url: str, table: str) -> Counter[str]:
    """How often each id occurs in `table`."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(f"SELECT id FROM {table}")
        return Counter(row[0] for row in await cur.fetchall())


async def test_eight_workers_claim_two_thousand_deliveries_once(stores: Stores) -> None:
    """8 stores claiming and settling 2,000 due rows at once: each row is claimed once."""
    workers = await stores(8)
    await polled_once(workers[0])
    items = [alerting(item(f"a{n:04}")) for n in range(2000)]
    await workers[0].ingest(batch(*items))
    later = T0 + timedelta(minutes=1)

    async def drain(store: Store, owner: str) -> list[str]:
        got: list[str] = []
        while rows := await store.claim_deliveries(later, limit=25, lease_seconds=60, owner=owner):
            for row in rows:
                got.append(row.id)
                await store.mark_delivered(row.id, later)
        return got

    claims = await asyncio.gather(*(drain(s, f"w{n}") for n, s in enumerate(workers)))

    ids = [i for claim in claims for i in claim]
    assert (2000, 2000) == (len(ids), len(set(ids)))
    assert 8 == sum(1 for claim in claims if claim), "every worker got some rows"
    assert 0 == await workers[0].outbox_depth()


async def test_a_dead_workers_rows_are_reclaimed_with_their_ids(stores: Stores) -> None:
    """Rows leased by a worker that vanished are claimed by another after expiry, same ids."""
    dead, alive = await stores(2)
    await polled_once(dead)
    await dead.ingest(batch(*(alerting(item(f"a{n}")) for n in range(5))))
    later = T0 + timedelta(minutes=1)
    taken = await dead.claim_deliveries(later, limit=5, lease_seconds=30, owner="dead")
    await dead.close()

    early = await alive.claim_deliveries(later, limit=5, lease_seconds=30, owner="alive")
    expired = later + timedelta(seconds=30)
    again = await alive.claim_deliveries(expired, limit=5, lease_seconds=30, owner="alive")

    assert [] == early
    assert sorted(r.id for r in taken) == sorted(r.id for r in again)
    assert {"alive"} == {r.lease_owner for r in again}


async def test_racing_ingests_create_each_alert_and_delivery_once(
    stores: Stores, db_url: str
) -> None:
    """3 stores ingesting the same batch at once: each alert and outbox row exists once."""
    instances = await stores(3)
    await polled_once(instances[0])
    two_hooks = verdict(destinations=("hook", "slack"))
    items = [alerting(item(f"a{n:03}"), two_hooks) for n in range(200)]

    outcomes = await asyncio.gather(*(s.ingest(batch(*items)) for s in instances))

    alerts, rows = await count(db_url, "alerts"), await count(db_url, "outbox")
    assert (200, {1}) == (len(alerts), set(alerts.values()))
    assert (400, {1}) == (len(rows), set(rows.values()))
    assert (200, 400) == (
        sum(o.alerts_created for o in outcomes),
        sum(o.deliveries for o in outcomes),
    )


async def test_racing_feeds_on_one_story_alert_once(stores: Stores, db_url: str) -> None:
    """Two feeds' reports of one new story ingested at once: one alert, the other joins."""
    first, second = await stores(2)
    await polled_once(first)
    story = "st_shared"
    outcomes = await asyncio.gather(
        first.ingest(batch(alerting(item("a1"), story=story))),
        second.ingest(batch(alerting(item("b1", feed=FEED_B), story=story), feed=FEED_B)),
    )
    assert [1] == list((await count(db_url, "alerts")).values())
    assert [1] == list((await count(db_url, "outbox")).values())
    assert (1, 1) == (
        sum(o.alerts_created for o in outcomes),
        sum(o.stories_joined for o in outcomes),
    )


async def test_racing_feeds_with_one_url_make_one_new_item(stores: Stores) -> None:
    """The same canonical URL in two feeds ingested at once is new in exactly one of them."""
    first, second = await stores(2)
    await polled_once(first)
    url = "https://news.example/homs"
    outcomes = await asyncio.gather(
        first.ingest(batch(alerting(item("a1", url=url)))),
        second.ingest(batch(alerting(item("b1", feed=FEED_B, url=url)), feed=FEED_B)),
    )
    assert (1, 1) == (sum(o.new for o in outcomes), sum(o.alerts_created for o in outcomes))


async def test_story_lock_excludes_another_instance(stores: Stores) -> None:
    """The story lock held by one store keeps another store waiting until it is released."""
    one, two = await stores(2)
    events: list[str] = []
    held = asyncio.Event()

    async def holder() -> None:
        async with one.story_lock():
            events.append("one in")
            held.set()
            await asyncio.sleep(0.2)
            events.append("one out")

    async def waiter() -> None:
        await held.wait()
        async with two.story_lock():
            events.append("two in")

    await asyncio.gather(holder(), waiter())
    assert ["one in", "one out", "two in"] == events


async def test_story_lock_of_a_closed_store_is_free(stores: Stores) -> None:
    """An instance that goes away while holding the story lock releases it."""
    one, two = await stores(2)
    lock = one.story_lock()
    await lock.__aenter__()
    await one.close()
    async with asyncio.timeout(5), two.story_lock():
        pass
    await lock.__aexit__(None, None, None)


async def test_cancelled_wait_for_the_story_lock_leaves_it_usable(stores: Stores) -> None:
    """A task cancelled while waiting for the lock neither takes it nor blocks later holders."""
    one, two = await stores(2)
    async with one.story_lock():
        waiting = asyncio.create_task(two.story_lock().__aenter__())
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    async with asyncio.timeout(5):
        async with two.story_lock():
            pass
        async with one.story_lock():
            pass


async def test_a_stuck_holder_of_the_story_lock_is_named_after_the_wait(
    stores: Stores, db_url: str
) -> None:
    """Another instance alive but stuck with the lock: after the wait, a StoreError says who."""
    [one] = await stores(1)
    impatient = PostgresStore(db_url, story_lock_wait=0.3)
    await impatient.open()
    try:
        async with one.story_lock():
            with pytest.raises(StoreError) as raised:
                async with impatient.story_lock():
                    pass
        message = str(raised.value)
        assert "waited 0.3 s for the story lock, held by backend pid " in message
        assert "pg_terminate_backend" in message
        async with asyncio.timeout(5), impatient.story_lock():
            pass  # once it is free, the same store takes it
    finally:
        await impatient.close()


async def test_concurrent_migrations_from_four_instances(db_url: str) -> None:
    """Four instances starting together on an empty database migrate it once."""
    instances = [PostgresStore(db_url) for _ in range(4)]
    for store in instances:
        await store.open()
    try:
        versions = await asyncio.gather(*(s.migrate() for s in instances))
        assert [len(migrations("postgres"))] * 4 == versions
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            cur = await conn.execute("SELECT version FROM schema_version ORDER BY version")
            assert [n for n, _ in migrations("postgres")] == [r[0] for r in await cur.fetchall()]
    finally:
        for store in instances:
            await store.close()


async def test_unreachable_database_is_a_store_error_without_password() -> None:
    """A database that does not answer fails `open` with StoreError, and no password shows."""
    store = PostgresStore(
        "postgresql://wirewatch:s3cret@127.0.0.1:9/nowhere?connect_timeout=1", timeout=1
    )
    with pytest.raises(StoreError) as raised:
        await store.open()
    assert "s3cret" not in str(raised.value)
    assert "127.0.0.1:9/nowhere" in str(raised.value)


async def test_a_dropped_connection_is_replaced(stores: Stores, db_url: str) -> None:
    """A pooled connection the server has dropped is replaced before a call uses it."""
    [store] = await stores(1)
    await polled_once(store, FEED_A)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as admin:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert 0 == await store.outbox_depth()
