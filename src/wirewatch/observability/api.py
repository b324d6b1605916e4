"""What the HTTP API shows of the running daemon: the rows of /api/alerts, /api/feeds and
/api/notifiers, the /readyz checks and the gauges refreshed before a /metrics scrape.

`DaemonApi` reads the store and the config in force; a reload hands it the new one (`serve`).
The server itself (`observability.http`) knows none of this: it calls these as sources. Feed
URLs and errors have their credentials masked, as in the logs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from wirewatch.config.settings import FeedConfig, HttpConfig
from wirewatch.delivery.destinations import Destination, read_destinations
from wirewatch.geojson import PlaceIndex
from wirewatch.loading import Loaded
from wirewatch.model import Clock
from wirewatch.observability.logging import default_redactor, redact_log_url
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.query import AlertQuery
from wirewatch.observability.readiness import Check, CheckFunc
from wirewatch.observability.store_health import WriteHealth
from wirewatch.storage import AlertRecord, FeedState, Store, is_silent

log = structlog.get_logger("wirewatch.daemon")


class DaemonApi:
    """The sources the HTTP server calls (see the module docstring)."""

    def __init__(
        self,
        loaded: Loaded,
        feeds: tuple[FeedConfig, ...],
        *,
        store: Store,
        clock: Clock,
        instance: str,
        metrics: Metrics,
        writes: WriteHealth,
        scheduling: Callable[[], bool],
        notifiers: Callable[[], tuple[str, ...]],
    ) -> None:
        self.loaded, self.feeds = loaded, feeds
        self._store, self._clock, self._instance = store, clock, instance
        self._metrics, self._writes = metrics, writes
        self._scheduling, self._notifier_names = scheduling, notifiers
        self.reload_error: str | None = None
        """Why the last reload was not applied, or None (shown by /readyz)."""

    def serve(self, loaded: Loaded, feeds: tuple[FeedConfig, ...]) -> None:
        """Show a reloaded config from the next request on."""
        self.loaded, self.feeds = loaded, feeds

    def checks(self) -> dict[str, CheckFunc]:
        """The /readyz checks, by name; the optional ones show without failing readiness."""
        return {
            "store": self._ping,
            "scheduler": lambda: Check(
                self._scheduling(), None if self._scheduling() else "not running"
            ),
            "config": lambda: Check(True, str(self.loaded.config.source)),
            "last_reload": lambda: Check(
                self.reload_error is None, self.reload_error, required=False
            ),
            "store_writes": self._writes.check,
            "instance": self._leases,
            "destinations": self._destinations_check,
        }

    async def alerts(self, query: AlertQuery) -> list[dict[str, Any]]:
        records = await self._store.recent_alerts(
            query.since,
            watchlist=query.watchlist,
            entity=query.entity,
            limit=query.limit,
            offset=query.offset,
        )
        rows = [record_json(r) for r in records]
        for row, record in zip(rows, records, strict=True):  # for maps: coordinates, admin
            row["places"] = self.loaded.places.located(record.alert)  # path, towns named
        return rows

    def places(self) -> PlaceIndex:
        return self.loaded.places.index

    async def feed_rows(self) -> list[dict[str, Any]]:
        states = {s.key: s for s in await self._store.list_feed_states()}
        owners = await self._store.feed_owners()
        now = self._clock()
        return [feed_json(f, states.get(f.key), owners.get(f.key), now) for f in self.feeds]

    async def notifier_rows(self) -> list[dict[str, Any]]:
        return [d.as_json() for d in (await self._destinations()).values()]

    async def refresh_gauges(self) -> None:
        states = await self._store.list_feed_states()
        now = self._clock()
        self._metrics.destinations(await self._destinations())
        self._metrics.feeds_failing.set(sum(str(s.status) == "failing" for s in states))
        self._metrics.feeds_silent.set(sum(is_silent(s, now) for s in states))

    async def _ping(self) -> Check:
        await self._store.ping()
        return Check(True)

    async def _destinations(self) -> dict[str, Destination]:
        return await read_destinations(self._store, self._notifier_names(), self._clock())

    async def _destinations_check(self) -> Check:
        """Failing destinations show here but never make the daemon unready: restarting it
        would not bring a dead receiver back, and the outbox keeps their rows meanwhile."""
        failing = [d for d in (await self._destinations()).values() if d.failing]
        if not failing:
            return Check(True, required=False)
        detail = "; ".join(
            f"{d.notifier} failing since {d.failing_since:%Y-%m-%d %H:%M:%SZ}, {d.queued} queued"
            if d.failing_since
            else f"{d.notifier} failing, {d.queued} queued"
            for d in failing
        )
        return Check(False, detail, required=False)

    async def _leases(self) -> Check:
        """This instance's name and how many feed leases it holds now."""
        now = self._clock()
        held = sum(
            owner == self._instance and until > now
            for owner, until in (await self._store.feed_owners()).values()
        )
        return Check(True, f"{self._instance} holds {held} feed lease(s)", required=False)


def feed_json(
    feed: FeedConfig, state: FeedState | None, lease: tuple[str, datetime] | None, now: datetime
) -> dict[str, Any]:
    """One feed's health as /api/feeds shows it: who holds its poll lease, and its state."""
    owner, until = lease or (None, None)
    return {
        "name": feed.label,
        "url": redact_log_url(feed.url),
        "held_by": owner if until and until > now else None,
        "lease_until": until,
        "status": str(state.status) if state else "pending",
        "silent": bool(state and is_silent(state, now)),
        "consecutive_failures": state.consecutive_failures if state else 0,
        "last_error": default_redactor(state.last_error) if state and state.last_error else None,
        "last_success": state.last_success if state else None,
        "last_new_item": state.last_new_item if state else None,
        "next_due": state.next_due if state else None,
        "http_status": state.http_status if state else None,
    }


def record_json(record: AlertRecord) -> dict[str, Any]:
    """One alert as `alerts --json` and `/api/alerts` show it; feed URLs have their
    credentials masked, as in the logs."""
    alert = record.alert
    return {
        "id": alert.id,
        "story_id": alert.story_id,
        "watchlist": alert.watchlist,
        "action": alert.action,
        "created_at": alert.created_at.isoformat(),
        "title": alert.item.title,
        "url": alert.item.url,
        "feed": redact_log_url(alert.item.feed),  # a feed is known by its URL: mask its secrets
        "entities": list(record.entities),
        "muted": alert.muted,
        "sources": [
            {
                "feed": redact_log_url(s.feed),
                "item_id": s.item_id,
                "title": s.title,
                "url": s.url,
                "published": s.published.isoformat() if s.published else None,
            }
            for s in alert.sources
        ],
        "deliveries": [
            {
                "notifier": d.notifier,
                "event": d.event,
                "state": str(d.state),
                "attempts": d.attempts,
                "last_error": d.last_error,
            }
            for d in record.deliveries
        ],
    }


def warn_if_exposed(http: HttpConfig, port: int | None) -> None:
    """Log one loud line when the API listens beyond this machine without a token."""
    if http.token or is_loopback(http.host):
        return
    log.warning(
        "http_api_unprotected",
        host=http.host,
        port=port,
        note="anyone who can reach this port reads alerts and feeds: set http.token "
        "(WIREWATCH_HTTP__TOKEN) or bind http.host to 127.0.0.1",
    )


def is_loopback(host: str) -> bool:
    """Whether the HTTP server's bind address is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything
