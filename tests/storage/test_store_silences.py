"""Contract: silences are stored, listed, found in force and expired alike by every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.storage.conftest import MakeStore
from wirewatch.delivery import matchers as m
from wirewatch.delivery.silences import Silence, new_silence
from wirewatch.storage import Store

T0 = datetime(2024, 12, 7, 12, 0, tzinfo=UTC)


def silence(sid: str, *, start: timedelta = timedelta(0), hours: float = 6) -> Silence:
    return new_silence(
        [m.parse("entity = homs"), m.parse("tag =~ 'ci ty|town'")],
        now=T0 + start,
        duration=timedelta(hours=hours),
        comment="covered live: «Homs»",
        author="desk",
        silence_id=sid,
    )


async def test_a_silence_comes_back_as_stored(store: Store) -> None:
    """Every field survives the round trip, the matchers' quoting and spaces included."""
    made = silence("sil_a")
    await store.add_silence(made)
    assert [made] == await store.list_silences()


async def test_active_silences_are_those_in_force(store: Store) -> None:
    """Started and not ended: a silence made for later and one that ended are left out."""
    await store.add_silence(silence("sil_now"))
    await store.add_silence(silence("sil_ended", start=timedelta(hours=-8)))
    later = new_silence(
        [m.parse("entity = hama")],
        now=T0,
        starts_at=T0 + timedelta(hours=1),
        duration=timedelta(hours=1),
        silence_id="sil_later",
    )
    await store.add_silence(later)
    assert ["sil_now"] == [s.id for s in await store.active_silences(T0)]
    assert ["sil_later", "sil_now"] == sorted(
        s.id for s in await store.active_silences(T0 + timedelta(minutes=90))
    )


async def test_list_is_newest_first_and_keeps_expired_ones(store: Store) -> None:
    await store.add_silence(silence("sil_old", start=timedelta(hours=-8)))
    await store.add_silence(silence("sil_new"))
    assert ["sil_new", "sil_old"] == [s.id for s in await store.list_silences()]


async def test_expire_ends_a_silence_once(store: Store) -> None:
    """Expiring ends it now; expiring again keeps the first end; an unknown id is None."""
    await store.add_silence(silence("sil_a"))
    first = await store.expire_silence("sil_a", T0 + timedelta(hours=1))
    again = await store.expire_silence("sil_a", T0 + timedelta(hours=2))
    assert first is not None and again is not None
    assert (T0 + timedelta(hours=1), T0 + timedelta(hours=1)) == (first.ends_at, again.ends_at)
    assert [] == await store.active_silences(T0 + timedelta(hours=1))
    assert None is await store.expire_silence("sil_missing", T0)


async def test_silences_are_shared_by_every_store_on_the_database(make_store: MakeStore) -> None:
    """Another instance (or a restart) sees a silence at once."""
    one, other = await make_store(), await make_store()
    await one.add_silence(silence("sil_a"))
    assert ["sil_a"] == [s.id for s in await other.active_silences(T0)]


async def test_a_muted_alert_keeps_why_and_has_no_outbox_rows(store: Store) -> None:
    """Every store keeps `muted` with the alert, and writes no delivery for it."""
    import dataclasses

    from tests.storage.storecase import T0 as NOW
    from tests.storage.storecase import alerting, batch, item, polled_once, verdict

    await polled_once(store)
    muted = dataclasses.replace(verdict(destinations=()), muted="silence sil_a: covered live")
    await store.ingest(batch(alerting(item("a1"), muted)))
    [record] = await store.recent_alerts(NOW - timedelta(hours=1))
    assert ("silence sil_a: covered live", ()) == (record.alert.muted, record.deliveries)
    assert [] == await store.list_deliveries()


async def test_retention_removes_silences_long_ended(store: Store) -> None:
    """A silence that ended more than `max_age` ago goes; a recent or active one stays."""
    await store.add_silence(silence("sil_old", start=timedelta(days=-40)))
    await store.add_silence(silence("sil_recent", start=timedelta(days=-2)))
    await store.add_silence(silence("sil_now"))
    outcome = await store.prune(T0, max_age=timedelta(days=30))
    assert 1 == outcome.silences
    assert ["sil_now", "sil_recent"] == [s.id for s in await store.list_silences()]


async def test_a_data_dir_from_before_silences_migrates(tmp_path: Path) -> None:
    """A SQLite file at schema 2 (before silences) keeps its rows and gains the table."""
    import sqlite3

    from wirewatch.storage.schema import latest_version, migrations
    from wirewatch.storage.sqlite import SqliteStore

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for number, sql in migrations("sqlite"):
        if number <= 2:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    conn.execute("INSERT INTO feeds (key) VALUES ('https://old.example/rss')")
    conn.close()
    async with SqliteStore(path) as store:
        assert latest_version("sqlite") == await store.migrate()
        assert ["https://old.example/rss"] == [s.key for s in await store.list_feed_states()]
        await store.add_silence(silence("sil_a"))
        assert ["sil_a"] == [s.id for s in await store.active_silences(T0)]
