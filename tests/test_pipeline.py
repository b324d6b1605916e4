"""The stage order in `Pipeline.poll`: feed health, backoff, first polls, stories across feeds.

HTTP goes through `httpx.MockTransport`; the store is a temporary SQLite file; time is a
fixed clock that the tests move.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from wirewatch.config.settings import FeedConfig
from wirewatch.demo import SampleItem, render_rss
from wirewatch.ingest.fetch import Fetcher
from wirewatch.ingest.gate import IngestGate
from wirewatch.leases import RELEASE_AT_ONCE
from wirewatch.loading import Loaded, load_everything
from wirewatch.pipeline import Pipeline, PollReport
from wirewatch.storage import FeedState, FeedStatus
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.index import StoryIndex
from wirewatch.testing import FixedClock

Responder = Callable[[httpx.Request], httpx.Response]


class Web:
    """What each URL answers; swap answers between polls."""

    def __init__(self) -> None:
        self.answers: dict[str, Responder] = {}

    def feed(self, url: str, *items: SampleItem) -> None:
        body = render_rss("t", list(items))
        self.answers[url] = lambda request: httpx.Response(200, content=body)

    def status(self, url: str, code: int, headers: dict[str, str] | None = None) -> None:
        self.answers[url] = lambda request: httpx.Response(code, headers=headers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        return self.answers[str(request.url)](request)


@pytest.fixture
def loaded(tmp_path: Path) -> Loaded:
    config = tmp_path / "c.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": [
                    {"url": "http://a.test/feed", "name": "a"},
                    {"url": "http://b.test/feed", "name": "b"},
                    {"url": "http://c.test/feed", "name": "c", "backfill": True},
                ],
                "fetch": {"interval": 60},
            }
        ),
        encoding="utf-8",
    )
    return load_everything(config)


@pytest.fixture
def web() -> Web:
    return Web()


@pytest.fixture
async def pipeline(
    loaded: Loaded, web: Web, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[Pipeline]:
    store = SqliteStore(tmp_path / "w.db")
    await store.open()
    await store.migrate()
    fetcher = Fetcher(transport=httpx.MockTransport(web.handle))
    yield Pipeline(loaded, store=store, fetcher=fetcher, stories=StoryIndex(), clock=clock)
    await fetcher.aclose()
    await store.close()


def feed(loaded: Loaded, name: str) -> FeedConfig:
    return next(f for f in loaded.config.feeds if f.name == name)


ALEPPO = SampleItem(
    "1",
    "Rebels capture Aleppo in lightning offensive",
    "HTS-led fighters took most of Syria's second city within days.",
    "http://a.test/1",
)
ALEPPO_AGAIN = SampleItem(
    "9",
    "Aleppo falls to HTS-led rebels in lightning offensive",
    "Opposition fighters led by HTS seized most of Aleppo, Syria's second city.",
    "http://b.test/9",
)
QUIET = SampleItem("2", "Markets rally", "Tech shares led.", "http://a.test/2")


async def test_first_poll_records_then_new_items_alert(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    """A new feed's first poll alerts on nothing; an item added later alerts once."""
    web.feed("http://a.test/feed", QUIET)
    first = await pipeline.poll(feed(loaded, "a"))
    assert ("ok", 1, 1, ()) == (first.status, first.items, first.new, first.alerts)
    web.feed("http://a.test/feed", QUIET, ALEPPO)
    second = await pipeline.poll(feed(loaded, "a"))
    assert (1, 1) == (second.new, len(second.alerts))
    third = await pipeline.poll(feed(loaded, "a"))
    assert (0, 0) == (third.new, len(third.alerts))


async def test_a_first_poll_does_not_ask_the_store_what_is_new(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    """A first poll records every item as seen whatever the store holds, so it reads no
    novelty; the next poll does."""
    asked = []
    novelty = pipeline.store.novelty

    async def counted(feed_key: str, items: object) -> object:
        asked.append(feed_key)
        return await novelty(feed_key, items)  # type: ignore[arg-type]

    pipeline.store.novelty = counted  # type: ignore[method-assign,assignment]
    web.feed("http://a.test/feed", QUIET)
    first = await pipeline.poll(feed(loaded, "a"))
    asked_first = len(asked)
    web.feed("http://a.test/feed", QUIET, ALEPPO)
    second = await pipeline.poll(feed(loaded, "a"))
    assert ((1, 0, 0), (1, 1, True)) == (
        (first.new, len(first.alerts), asked_first),
        (second.new, len(second.alerts), len(asked) > asked_first),
    )


async def test_backfill_alerts_on_the_first_poll(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    web.feed("http://c.test/feed", ALEPPO)
    assert 1 == len((await pipeline.poll(feed(loaded, "c"))).alerts)


async def test_same_story_from_another_feed_joins_instead_of_alerting(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    for name in ("a", "b"):
        web.feed(f"http://{name}.test/feed")
        await pipeline.poll(feed(loaded, name))
    web.feed("http://a.test/feed", ALEPPO)
    created = await pipeline.poll(feed(loaded, "a"))
    web.feed("http://b.test/feed", ALEPPO_AGAIN)
    joined = await pipeline.poll(feed(loaded, "b"))
    assert (1, 0, 1) == (len(created.alerts), len(joined.alerts), joined.joined)


async def test_failures_back_off_and_never_give_up(
    pipeline: Pipeline, loaded: Loaded, web: Web, clock: FixedClock
) -> None:
    """Each failure pushes the next try further out (capped); a success resets everything."""
    a = feed(loaded, "a")
    web.status("http://a.test/feed", 500)
    waits = []
    for _ in range(6):
        report = await pipeline.poll(a)
        assert "failed" == report.status and "500" in str(report.error)
        state = await pipeline.store.get_feed_state(a.key)
        assert state is not None and state.next_due is not None
        waits.append(state.next_due - clock())
        assert "not_due" == (await pipeline.poll(a)).status  # backing off: nothing fetched
        clock.now = state.next_due  # due again: the next poll fetches (and fails)
    assert waits[-1] > waits[0] and all(w <= timedelta(hours=6) for w in waits)
    web.feed("http://a.test/feed", QUIET)
    await pipeline.poll(a)
    state = await pipeline.store.get_feed_state(a.key)
    assert state is not None
    assert (FeedStatus.OK, 0, None) == (state.status, state.consecutive_failures, state.last_error)


async def test_force_polls_a_feed_backing_off_but_not_one_gone(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    """`poll --once` forces "due": a failing feed is fetched before its backoff ends; a feed
    that is gone is still not fetched."""
    a, b = feed(loaded, "a"), feed(loaded, "b")
    web.status("http://a.test/feed", 500)
    web.status("http://b.test/feed", 410)
    await pipeline.poll(a)
    await pipeline.poll(b)
    web.feed("http://a.test/feed", QUIET)
    web.feed("http://b.test/feed", QUIET)

    statuses = [(await pipeline.poll(f, force=True)).status for f in (a, a, b)]

    assert ["ok", "not_modified", "disabled"] == statuses


async def test_a_feed_another_instance_holds_is_not_fetched_until_given_back(
    pipeline: Pipeline, loaded: Loaded, web: Web, clock: FixedClock
) -> None:
    """The lease comes first: while another owner holds it, nothing is fetched, even when
    forced; once that owner gives it back, the feed is polled at once."""
    a = feed(loaded, "a")
    web.feed("http://a.test/feed", QUIET)
    other = Pipeline(
        loaded,
        store=pipeline.store,
        fetcher=pipeline.fetcher,
        stories=StoryIndex(),
        clock=clock,
        owner="other:1",
    )
    first = await other.poll(a)
    held = await pipeline.poll(a, force=True)
    await other.release([a.key])
    after = await pipeline.poll(a)

    assert ("ok", "leased", False) == (first.status, held.status, held.polled)
    assert "ok" == after.status and after.polled


async def test_release_gives_back_every_lease_of_this_owner_and_no_other(
    pipeline: Pipeline, clock: FixedClock
) -> None:
    """More leases than are given back at once all end now; another owner's lease stays."""
    now, until = clock(), clock() + timedelta(hours=1)
    mine = [f"feed-{n}" for n in range(RELEASE_AT_ONCE + 3)]
    for key in [*mine, "theirs"]:
        owner = "other:1" if key == "theirs" else pipeline.owner
        assert await pipeline.store.claim_feed(key, now=now, until=until, owner=owner)

    await pipeline.release([*mine, "theirs"])
    owners = await pipeline.store.feed_owners()

    assert [] == [key for key in mine if owners[key] != (pipeline.owner, now)]
    assert ("other:1", until) == owners["theirs"]


class CountingStore(SqliteStore):
    """A SQLite store that counts its feed-state reads."""

    reads = 0

    async def get_feed_state(self, key: str) -> FeedState | None:
        self.reads += 1
        return await super().get_feed_state(key)

    async def list_feed_states(self) -> list[FeedState]:
        self.reads += 1
        return await super().list_feed_states()


async def test_claim_takes_the_leases_then_reads_every_state_in_one_go(
    loaded: Loaded, web: Web, clock: FixedClock, tmp_path: Path
) -> None:
    """`claim` (poll --once's cycle) takes each feed's lease, then one store read gives every
    state: the polls given their leases read no more, each sends its own stored ETag, and a
    feed another owner holds is reported leased without being fetched."""
    store = CountingStore(tmp_path / "n.db")
    await store.open()
    await store.migrate()
    fetcher = Fetcher(transport=httpx.MockTransport(web.handle))
    pipeline = Pipeline(loaded, store=store, fetcher=fetcher, stories=StoryIndex(), clock=clock)
    a, b, c = (feed(loaded, name) for name in "abc")
    body = render_rss("t", [QUIET])
    web.answers[a.url] = lambda request: (
        httpx.Response(304)
        if request.headers.get("If-None-Match") == '"a1"'
        else httpx.Response(200, headers={"ETag": '"a1"'}, content=body)
    )
    web.feed(b.url, QUIET)
    web.status(c.url, 500)  # never asked: its lease is held elsewhere
    await pipeline.poll(a)
    await pipeline.release([a.key])
    until = clock() + timedelta(hours=1)
    assert await store.claim_feed(c.key, now=clock(), until=until, owner="other:1")

    store.reads = 0
    leases = await pipeline.claim([a, b, c])
    reports = [await pipeline.poll(f, force=True, lease=leases[f.key]) for f in (a, b, c)]
    await fetcher.aclose()
    await store.close()

    assert 1 == store.reads
    assert ["not_modified", "ok", "leased"] == [r.status for r in reports]


async def test_a_cycles_leases_outlast_a_short_interval_until_given_back(
    pipeline: Pipeline, loaded: Loaded, clock: FixedClock
) -> None:
    """`claim` takes every lease at the start of a cycle: a feed polled every minute is still
    this owner's ten minutes on, when a long cycle reaches it; `release` ends it at once."""
    a = feed(loaded, "a")
    assert 60 >= loaded.config.feed_interval(a)
    leases = await pipeline.claim([a])
    clock.advance(600)
    owner, until = (await pipeline.store.feed_owners())[a.key]

    assert leases[a.key].state is not None
    assert (pipeline.owner, True) == (owner, until > clock())
    await pipeline.release([a.key])
    assert (await pipeline.store.feed_owners())[a.key][1] <= clock()


async def test_retry_after_is_honoured(
    pipeline: Pipeline, loaded: Loaded, web: Web, clock: FixedClock
) -> None:
    a = feed(loaded, "a")
    web.status("http://a.test/feed", 429, {"Retry-After": "3600"})
    await pipeline.poll(a)
    state = await pipeline.store.get_feed_state(a.key)
    assert state is not None and state.next_due is not None
    assert state.next_due - clock() >= timedelta(seconds=3600)


async def test_gone_disables_the_feed(pipeline: Pipeline, loaded: Loaded, web: Web) -> None:
    """410 Gone: the feed is disabled with a clear reason and is not polled again."""
    a = feed(loaded, "a")
    web.status("http://a.test/feed", 410)
    gone = await pipeline.poll(a)
    assert ("gone", 410) == (gone.status, gone.http_status)
    web.answers["http://a.test/feed"] = lambda request: pytest.fail("a gone feed was fetched")
    again = await pipeline.poll(a)
    assert "disabled" == again.status and "410" in str(again.error)


async def test_unparseable_feed_is_a_failure_with_a_reason(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    web.answers["http://a.test/feed"] = lambda r: httpx.Response(200, content=b"<html><body>login")
    report = await pipeline.poll(feed(loaded, "a"))
    assert "failed" == report.status and report.error


async def test_the_same_body_again_is_not_parsed_again(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    """A server that ignores conditional requests sends the same bytes: nothing to parse."""
    calls = []
    parse = pipeline.parser
    pipeline.parser = lambda *a, **k: calls.append(1) or parse(*a, **k)
    web.feed("http://a.test/feed", QUIET)
    await pipeline.poll(feed(loaded, "a"))
    again = await pipeline.poll(feed(loaded, "a"))
    assert ("not_modified", 200, 1) == (again.status, again.http_status, len(calls))
    web.feed("http://a.test/feed", QUIET, ALEPPO)
    changed = await pipeline.poll(feed(loaded, "a"))
    assert ("ok", 1, 2) == (changed.status, changed.new, len(calls))


async def test_a_url_seen_in_another_feed_at_the_same_time_opens_no_story(
    pipeline: Pipeline, loaded: Loaded, web: Web, tmp_path: Path
) -> None:
    """Two backfilled feeds carry one report under one URL and are polled at once: novelty
    is decided under the story lock, so one story is stored, with a signature, and the index
    holds that one report only."""
    same_url = SampleItem("7", ALEPPO.title, ALEPPO.summary, "http://a.test/1")
    web.feed("http://c.test/feed", ALEPPO)
    other = FeedConfig(url="http://d.test/feed", name="d", backfill=True)
    web.feed("http://d.test/feed", same_url)
    reports = await asyncio.gather(pipeline.poll(feed(loaded, "c")), pipeline.poll(other))
    stored = await pipeline.store.recent_stories(pipeline.clock() - timedelta(days=1))
    assert (1, 1, False) == (
        sum(len(r.alerts) for r in reports),
        len(stored),
        pipeline.stories.has_member(other.key, "7"),
    )
    assert "" != stored[0].signature


async def test_an_ingest_that_fails_takes_its_story_decisions_back(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    """When the store refuses the ingest, the stories it would have opened are not left in the
    index (a later poll decides them again and stores them)."""
    web.feed("http://c.test/feed", ALEPPO)
    original = pipeline.store.ingest

    async def refuse(batch: object) -> object:
        raise OSError("disk full")

    pipeline.store.ingest = refuse  # type: ignore[method-assign,assignment]
    with pytest.raises(OSError):
        await pipeline.poll(feed(loaded, "c"))
    refused = len(pipeline.stories)
    pipeline.store.ingest = original  # type: ignore[method-assign]
    report = await pipeline.poll(feed(loaded, "c"))
    assert (0, 1, 1) == (refused, len(report.alerts), len(pipeline.stories))


async def test_an_unnamed_feed_is_labelled_by_its_url_with_credentials_masked(
    pipeline: Pipeline, web: Web
) -> None:
    """A feed without a name is shown by its URL (in tables, logs, /api/feeds), with its
    password and token masked."""
    url = "http://reader:hunter2@d.test/feed?token=s3cr3t&lang=en"
    web.feed(url, QUIET)

    report = await pipeline.poll(FeedConfig(url=url))

    assert ("ok", "http://***@d.test/feed?token=***&lang=en") == (report.status, report.feed)


async def test_a_cycle_ingests_in_the_gates_order_while_writes_are_only_queued(
    pipeline: Pipeline, loaded: Loaded, web: Web
) -> None:
    """Feeds of one cycle ingest in the gate's order (earliest item first) even though the
    SQLite store is handed each ingest without waiting for it to commit: of two first polls
    carrying one URL, the feed with the earlier item records it as new, the other does not,
    whichever is polled first."""
    start = datetime(2024, 12, 7, 12, tzinfo=UTC)
    web.feed("http://a.test/feed", SampleItem("x", "Later copy", "Same.", "http://n.test/1", start))
    web.feed(
        "http://b.test/feed",
        SampleItem("y", "Earlier copy", "Same.", "http://n.test/1", start - timedelta(hours=1)),
    )
    a, b = feed(loaded, "a"), feed(loaded, "b")
    pipeline.gate = IngestGate([a.key, b.key])

    async def one(config: FeedConfig) -> PollReport:
        try:
            return await pipeline.poll(config)
        finally:
            pipeline.gate.finished(config.key)  # type: ignore[union-attr]

    first, second = await asyncio.gather(one(a), one(b))
    assert ((1, 0), (1, 1)) == ((first.items, first.new), (second.items, second.new))
