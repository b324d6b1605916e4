"""What the daemon's job for one feed does each time it runs: lease, poll, count, report.

    claim the feed's lease ─▶ due? ─▶ pipeline.poll ─▶ metrics and `poll_finished`
                                                    ─▶ wake the dispatcher if it alerted

Every instance schedules every feed; the lease makes one of them poll it per interval, and
hands a dead instance's feeds to the others when it expires. A `StoreError` anywhere in that
(the lease itself included: a locked database, a full disk, a read-only data directory) is one
`poll_not_stored` line, a failed poll in the metrics, and a mark in `WriteHealth`; nothing of
the poll was stored, so its items stay new and the feed is polled again after its lease.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from wirewatch.config.settings import FeedConfig
from wirewatch.errors import StoreError
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.store_health import WriteHealth
from wirewatch.pipeline import Pipeline, PollReport
from wirewatch.storage import Store

log = structlog.get_logger("wirewatch.daemon")
LEASE_SHARE = 0.9
"""A poll's lease lasts this share of the feed's interval."""


class FeedPoller:
    """Runs one feed's poll for the daemon (see the module docstring); never raises for the
    store's faults."""

    def __init__(
        self,
        *,
        store: Store,
        pipeline: Pipeline,
        metrics: Metrics,
        writes: WriteHealth,
        alerted: Callable[[], None],
        owner: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._store, self._pipeline, self._metrics = store, pipeline, metrics
        self._writes, self._alerted, self._owner, self._clock = writes, alerted, owner, clock

    def job(self, feed: FeedConfig, interval: float) -> Callable[[], Awaitable[None]]:
        async def poll() -> None:
            await self.poll(feed, interval)

        return poll

    async def poll(self, feed: FeedConfig, interval: float) -> None:
        with structlog.contextvars.bound_contextvars(feed=feed.label):
            try:
                report = await self._leased(feed, interval)
            except StoreError as e:
                log.error("poll_not_stored", error=str(e))
                self._metrics.poll("failed")
                self._writes.failed(str(e))
                return
        if report is None:
            return
        self._writes.succeeded()
        self._count(report)
        if report.alerts or report.joined:
            self._alerted()

    async def _leased(self, feed: FeedConfig, interval: float) -> PollReport | None:
        now = self._clock()
        until = now + timedelta(seconds=interval * LEASE_SHARE)
        if not await self._store.claim_feed(feed.key, now=now, until=until, owner=self._owner):
            return None
        if not await self._pipeline.is_due(feed):
            return None
        return await self._pipeline.poll(feed)

    def _count(self, report: PollReport) -> None:
        metrics = self._metrics
        outcome = report.status if report.status != "disabled" else "gone"
        metrics.poll(outcome, report.elapsed)  # type: ignore[arg-type]
        metrics.items_parsed.inc(report.items)
        metrics.alerts_created.inc(len(report.alerts))
        for alert in report.alerts:
            if alert.muted:
                metrics.muted(alert.muted)
                log.info("alert_muted", alert=alert.id, watchlist=alert.watchlist, why=alert.muted)
        metrics.stories_merged.inc(report.joined)
        for alert in report.alerts:
            for kind in ("place", "actor"):
                metrics.match(kind, sum(m.kind == kind for m in alert.matches))
        if report.status == "ok":
            log.info(
                "poll_finished",
                feed=report.feed,
                items=report.items,
                new=report.new,
                alerts=len(report.alerts),
                seconds=round(report.elapsed, 3),
            )
