"""The daemon in process, built as `wirewatch run` builds it but with fakes: it starts an App,
polls through it, and on a stop signal gives back its feed leases before closing the store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.conftest import REPO
from wirewatch import app
from wirewatch.daemon import Daemon
from wirewatch.demo import SampleItem, render_rss
from wirewatch.loading import load_everything
from wirewatch.storage.sqlite import SqliteStore

FEED = "https://wire.example/feed.xml"


async def test_a_stopped_daemon_gives_back_the_leases_it_holds(tmp_path: Path) -> None:
    """While running it holds the feed's lease (for 0.9 of the interval); after SIGTERM the
    lease has ended, so another instance or a `poll --once` may poll the feed at once."""
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        f"watchlists: [{REPO / 'config/watchlists/syria.yaml'}]\n"
        f"data_dir: {tmp_path}\n"
        f"feeds: [{{url: '{FEED}', name: wire}}]\n"
        "fetch: {parse_workers: 0, interval: 600}\n"
        "http: {enabled: false}\n"
        "daemon: {watch_files: false}\n"
    )
    body = render_rss("wire", [SampleItem("w1", "Markets rally", "", "https://wire.example/1")])
    served: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        served.append(str(request.url))
        return httpx.Response(200, content=body)

    built = app.build(load_everything(config), transport=httpx.MockTransport(answer))
    daemon = Daemon(built, str(config))
    running = asyncio.create_task(daemon.run())
    while not served and not running.done():
        await asyncio.sleep(0.05)
    held = await _lease(tmp_path, FEED)
    daemon.stops.received("SIGTERM")
    code = await asyncio.wait_for(running, 30)
    after = await _lease(tmp_path, FEED)

    assert (0, [FEED]) == (code, served)
    assert held is not None and held[0] == built.instance and held[1] > datetime.now(UTC)
    assert after is not None and after[1] <= datetime.now(UTC)


async def _lease(data: Path, key: str) -> tuple[str, datetime] | None:
    """The feed's lease as the store has it, read through a store of our own."""
    for _ in range(100):  # the poll that fetched it takes its lease first: wait for the write
        store = SqliteStore(data / "wirewatch.db")
        await store.open()
        try:
            lease = (await store.feed_owners()).get(key)
        finally:
            await store.close()
        if lease is not None:
            return lease
        await asyncio.sleep(0.05)
    return None
