"""What the daemon shows to the network: feed URLs masked in /api/feeds, and a loud line when
the API listens beyond this machine without a token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from tests.conftest import REPO
from tests.sites import Site, feed
from wirewatch import app
from wirewatch.config.settings import HttpConfig
from wirewatch.daemon import Daemon
from wirewatch.demo import FeedServer, SampleItem
from wirewatch.loading import load_everything
from wirewatch.observability.api import warn_if_exposed


@asynccontextmanager
async def serving(tmp_path: Path, settings: str) -> AsyncIterator[tuple[Daemon, str]]:
    """A daemon built in process from `settings` (YAML lines), its store open and its HTTP
    server on 127.0.0.1; yields it and the server's base URL. Nothing is scheduled."""
    config = tmp_path / "wirewatch.yaml"
    watchlist = REPO / "config/watchlists/syria.yaml"
    config.write_text(f"watchlists: [{watchlist}]\n{settings}")
    daemon = Daemon(app.build(load_everything(config)), str(config))
    await daemon.app.open()
    try:
        port = await daemon.app.http.start("127.0.0.1", 0)
        yield daemon, f"http://127.0.0.1:{port}"
    finally:
        await daemon.app.aclose()


async def get(url: str) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).text


async def test_api_feeds_masks_credentials_in_feed_urls(tmp_path: Path) -> None:
    """user:password and token-like query values are masked, as in the logs; an unnamed feed,
    which is listed by its URL, is masked too."""
    settings = (
        "feeds:\n"
        "  - {url: 'https://reader:hunter2@news.example/feed.xml?id=3&token=s3cr3t'}\n"
        "  - {url: 'https://wire.example/rss?api_key=k3y&lang=en', name: wire}\n"
        "fetch: {parse_workers: 0}\n"
    )
    async with serving(tmp_path, settings) as (_, api):
        body = await get(f"{api}/api/feeds")

    masked = "https://***@news.example/feed.xml?id=3&token=***"
    rows = [(f["name"], f["url"]) for f in json.loads(body)["feeds"]]
    assert [(masked, masked), ("wire", "https://wire.example/rss?api_key=***&lang=en")] == rows
    assert [] == [secret for secret in ("hunter2", "s3cr3t", "k3y") if secret in body]


async def test_api_alerts_masks_credentials_in_feed_urls(tmp_path: Path) -> None:
    """An alert names its feed by URL (the feed's identity): /api/alerts masks its password and
    token, or the masking of /api/feeds would be for nothing."""
    server = FeedServer().start()
    url = server.add_feed("wire", items=[SampleItem("w1", "Rebels enter Homs", "", "")])
    url = url.replace("http://", "http://reader:hunter2@") + "?token=s3cr3t"
    settings = (
        f"feeds: [{{url: '{url}', name: wire, backfill: true}}]\n"
        "fetch: {parse_workers: 0, allow_networks: [127.0.0.1]}\n"
    )
    try:
        async with serving(tmp_path, settings) as (daemon, api):
            report = await daemon.app.pipeline.poll(daemon.loaded.config.feeds[0])
            body = await get(f"{api}/api/alerts?since=1h")
    finally:
        server.stop()

    [alert] = json.loads(body)["alerts"]
    masked = url.replace("reader:hunter2", "***").replace("s3cr3t", "***")
    assert (1, masked, [masked]) == (
        len(report.alerts),
        alert["feed"],
        [s["feed"] for s in alert["sources"]],
    )
    assert [] == [secret for secret in ("hunter2", "s3cr3t") if secret in body]


async def test_a_reload_applies_a_changed_allow_list(tmp_path: Path) -> None:
    """An operator who adds a feed's network to fetch.allow_networks and saves the config
    need not restart: the next poll after the reload gets through."""
    with Site("127.0.0.2") as site:
        site.route("/feed.xml", feed())
        feeds = f"feeds: [{{url: '{site.url()}', name: lan}}]\n"
        async with serving(tmp_path, feeds + "fetch: {parse_workers: 0}\n") as (daemon, _):
            before = await daemon.app.pipeline.poll(daemon.loaded.config.feeds[0])
            daemon.loaded.config.source.write_text(
                daemon.loaded.config.source.read_text().replace(
                    "fetch: {parse_workers: 0}",
                    "fetch: {parse_workers: 0, allow_networks: [127.0.0.2]}",
                )
            )
            reloaded = await daemon.reload("test")
            # forced: the feed is backing off after its refused fetch
            after = await daemon.app.pipeline.poll(daemon.loaded.config.feeds[0], force=True)

    assert ("failed", True, "ok") == (before.status, reloaded, after.status)
    assert before.error is not None and before.error.startswith("refused to connect to 127.0.0.2")
    assert 1 == site.connections


@pytest.mark.parametrize(
    ("host", "token", "warned"),
    [
        ("0.0.0.0", None, True),
        ("::", None, True),
        ("192.168.1.20", None, True),
        ("wirewatch.lan", None, True),
        ("0.0.0.0", "a-long-random-token", False),
        ("127.0.0.1", None, False),
        ("127.0.0.2", None, False),
        ("::1", None, False),
        ("localhost", None, False),
    ],
)
def test_an_exposed_api_without_a_token_is_one_loud_line(
    host: str, token: str | None, warned: bool
) -> None:
    with capture_logs() as logs:
        warn_if_exposed(HttpConfig(host=host, token=token), 8787)

    expected = [("http_api_unprotected", "warning", host)] if warned else []
    assert expected == [(e["event"], e["log_level"], e["host"]) for e in logs]
