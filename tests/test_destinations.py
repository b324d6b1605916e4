"""Delivery health by destination: the store's health and outbox counts, read as one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.storage.storecase import T0, alerting, batch, item, verdict
from wirewatch.delivery.destinations import read_destinations
from wirewatch.storage import NotifierHealth
from wirewatch.storage.sqlite import SqliteStore


async def test_configured_failing_healthy_and_unconfigured_notifiers(tmp_path: Path) -> None:
    """Each configured notifier is listed with its counts and age; a failing one with its
    error and next probe; one with rows but no config as `unconfigured`."""
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
        items = [alerting(item(f"i{n}"), verdict(destinations=("down", "old"))) for n in range(2)]
        await store.ingest(batch(*items, backfill=True))
        probe = T0 + timedelta(seconds=40)
        await store.save_notifier_health(NotifierHealth("down", True, 2, "HTTP 503", T0, probe, T0))
        found = await read_destinations(store, ["down", "fine"], T0 + timedelta(seconds=90))
    assert ["down", "fine", "old"] == list(found)
    down, fine, old = found.values()
    assert ("failing", 2, 90.0, "HTTP 503", probe) == (
        down.state,
        down.queued,
        down.oldest_pending_seconds,
        down.last_error,
        down.next_probe,
    )
    assert ("ok", 0, None) == (fine.state, fine.queued, fine.oldest_pending_seconds)
    assert ("unconfigured", 2) == (old.state, old.pending)
    assert down.as_json()["queued"] == 2
