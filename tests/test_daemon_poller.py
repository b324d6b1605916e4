"""The daemon's per-feed job, in process: what it does when the store cannot take a poll."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from structlog.testing import capture_logs

from tests.conftest import REPO
from wirewatch import app
from wirewatch.errors import StoreError
from wirewatch.loading import load_everything
from wirewatch.storage.sqlite import SqliteStore


class LockedStore(SqliteStore):
    """A store that cannot take the poll's first write, as when another backend holds a lock."""

    async def claim_feed(self, key: str, *, now: datetime, until: datetime, owner: str) -> bool:
        raise StoreError("PostgreSQL db: waited 300 s for the story lock, held by backend pid 7")


async def test_a_poll_the_store_cannot_take_is_one_error_line_and_counted(tmp_path: Path) -> None:
    watchlist = REPO / "config/watchlists/syria.yaml"
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        f"watchlists: [{watchlist}]\n"
        "feeds: [{url: 'https://example.org/feed.xml', name: wire}]\n"
        "fetch: {parse_workers: 0}\n"
        "http: {enabled: false}\n"
    )
    built = app.build(load_everything(config), store=LockedStore(tmp_path / "w.db"))
    await built.open()
    try:
        with capture_logs() as logs:
            await built.jobs[built.feeds[0].key].func()  # raises nothing
    finally:
        await built.aclose()

    [line] = [e for e in logs if e["log_level"] == "error"]
    assert "poll_not_stored" == line["event"]
    assert "held by backend pid 7" in line["error"]
    metrics = built.metrics.render()[0].decode()
    assert 'wirewatch_polls_total{outcome="failed"} 1.0' in metrics
    assert not built.writes.check().ok  # /readyz: store_writes degraded
