"""The daemon's per-feed job, in process: what it does when the store cannot take a poll."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from tests.conftest import REPO
from wirewatch import app
from wirewatch.daemon import Daemon
from wirewatch.errors import StoreError
from wirewatch.pipeline import PollReport


async def test_a_poll_the_store_cannot_take_is_one_error_line_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watchlist = REPO / "config/watchlists/syria.yaml"
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        f"watchlists: [{watchlist}]\n"
        "feeds: [{url: 'https://example.org/feed.xml', name: wire}]\n"
        "fetch: {parse_workers: 0}\n"
        "http: {enabled: false}\n"
    )
    daemon = Daemon(app.load_everything(str(config)), str(config))
    await daemon.store.open()
    await daemon.store.migrate()

    async def stuck(feed: object) -> PollReport:
        raise StoreError("PostgreSQL db: waited 300 s for the story lock, held by backend pid 7")

    monkeypatch.setattr(daemon.pipeline, "poll", stuck)
    monkeypatch.setattr(daemon.pipeline, "is_due", lambda feed: _true())
    try:
        with capture_logs() as logs:
            await daemon.poller.job(daemon.loaded.config.feeds[0], 60.0)()  # raises nothing
    finally:
        await daemon.store.close()
        await daemon.fetcher.aclose()
        await daemon.webhooks.aclose()
    [line] = [e for e in logs if e["log_level"] == "error"]
    assert "poll_not_stored" == line["event"]
    assert "held by backend pid 7" in line["error"]
    metrics = daemon.metrics.render()[0].decode()
    assert 'wirewatch_polls_total{outcome="failed"} 1.0' in metrics


async def _true() -> bool:
    return True
