"""Silences (silences.py): their states, what they mute, and what the pipeline does with them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.test_pipeline import ALEPPO, Web, feed, loaded, web  # noqa: F401 - fixtures
from wirewatch.delivery import matchers as m
from wirewatch.delivery.matchers import Labels
from wirewatch.delivery.silences import Silence, matchers_from_json, muting, new_silence
from wirewatch.demo import SampleItem
from wirewatch.ingest.fetch import Fetcher
from wirewatch.loading import Loaded
from wirewatch.pipeline import Pipeline
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.index import StoryIndex
from wirewatch.testing import FixedClock

T0 = datetime(2024, 12, 7, 12, 0, tzinfo=UTC)
HOMS = Labels("syria", ("homs",), ("place",), "high", ("city",), ("BBC",))


def silence(*texts: str, start: datetime = T0, hours: float = 6) -> Silence:
    return new_silence(
        [m.parse(t) for t in texts],
        now=T0,
        starts_at=start,
        duration=timedelta(hours=hours),
        comment="covered live",
    )


@pytest.mark.parametrize(
    ("made", "at", "state", "mutes"),
    [
        (silence("entity = homs"), T0, "active", True),
        (silence("entity = homs"), T0 + timedelta(hours=5, minutes=59), "active", True),
        (silence("entity = homs"), T0 + timedelta(hours=6), "expired", False),  # end excluded
        (silence("entity = hama"), T0, "active", False),
        (silence("entity = homs", "severity >= critical"), T0, "active", False),  # all must hold
        (silence("tag =~ 'ci.*'", "feed = BBC"), T0, "active", True),
        (silence("entity = homs", start=T0 + timedelta(hours=1)), T0, "pending", False),
        (
            silence("entity = homs").expired(T0 + timedelta(hours=1)),
            T0 + timedelta(hours=1),
            "expired",
            False,
        ),
    ],
)
def test_what_a_silence_mutes_and_when(
    made: Silence, at: datetime, state: str, mutes: bool
) -> None:
    assert (state, mutes) == (made.state(at), made.mutes(HOMS, at))


def test_muting_picks_the_first_active_silence() -> None:
    expired = silence("entity = homs", hours=1)
    active = silence("watchlist = syria")
    found = muting([expired, active], HOMS, T0 + timedelta(hours=2))
    assert active == found


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"matchers": []}, "at least one matcher"),
        ({"duration": None}, "either a duration"),
        ({"duration": timedelta(hours=1), "ends_at": T0}, "either a duration"),
        ({"duration": None, "ends_at": T0 - timedelta(hours=1)}, "must end in the future"),
    ],
)
def test_a_bad_silence_says_why(kwargs: dict[str, object], message: str) -> None:
    given: dict[str, object] = {"matchers": [m.parse("entity = homs")], "duration": timedelta(1)}
    given.update(kwargs)
    with pytest.raises(ValueError) as caught:
        new_silence(given.pop("matchers"), now=T0, comment="x", **given)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_matchers_come_as_an_object_or_a_list() -> None:
    assert (m.make("entity", "=", "homs"),) == matchers_from_json({"entity": "homs"})
    assert (m.make("tag", "=~", "a|b"),) == matchers_from_json(["tag =~ 'a|b'"])
    with pytest.raises(ValueError):
        matchers_from_json("entity = homs")


HOMS_ITEM = SampleItem(
    "3", "Shelling reported in Homs overnight", "Residents fled east.", "http://c.test/3"
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "w.db")
    await store.open()
    await store.migrate()
    yield store
    await store.close()


async def test_a_silenced_alert_is_stored_muted_and_expiry_sends_nothing_late(
    loaded: Loaded,  # noqa: F811
    web: Web,  # noqa: F811
    store: SqliteStore,
) -> None:
    """The muted alert is stored with its silence and no outbox row; after the silence ends,
    it stays unsent (no back-fill), and the next alert is delivered as usual."""
    clock = FixedClock(T0)
    fetcher = Fetcher(transport=httpx.MockTransport(web.handle))
    pipeline = Pipeline(loaded, store=store, fetcher=fetcher, stories=StoryIndex(), clock=clock)
    mute = new_silence(
        [m.parse("entity = aleppo")], now=T0, duration=timedelta(hours=1), comment="known"
    )
    await store.add_silence(mute)
    web.feed("http://c.test/feed", ALEPPO)
    first = await pipeline.poll(feed(loaded, "c"))
    [muted] = first.alerts
    assert f"silence {mute.id}: known" == muted.muted
    assert [] == await store.list_deliveries()

    clock.now = T0 + timedelta(hours=2)
    web.feed("http://c.test/feed", ALEPPO, HOMS_ITEM)
    second = await pipeline.poll(feed(loaded, "c"))
    [sent] = second.alerts
    deliveries = await store.list_deliveries()
    assert (None, [sent.id]) == (sent.muted, [d.alert_id for d in deliveries])
    [_, old] = await store.recent_alerts(T0 - timedelta(hours=1))
    assert (muted.id, muted.muted, ()) == (old.alert.id, old.alert.muted, old.deliveries)
    await fetcher.aclose()


class CountingStore:
    """Answers `active_silences` and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def active_silences(self, now: datetime) -> list[Silence]:
        self.calls += 1
        return []


async def test_the_silence_cache_reads_at_most_once_a_second_unless_told() -> None:
    from wirewatch.delivery.muting import SilenceCache

    store, cache = CountingStore(), SilenceCache(ttl=1.0)
    for offset in (0.0, 0.5, 0.99):
        await cache.get(store, T0 + timedelta(seconds=offset))  # type: ignore[arg-type]
    assert 1 == store.calls
    await cache.get(store, T0 + timedelta(seconds=1))  # type: ignore[arg-type]
    assert 2 == store.calls
    cache.forget()  # a silence was added or expired through this process
    await cache.get(store, T0 + timedelta(seconds=1.1))  # type: ignore[arg-type]
    assert 3 == store.calls
