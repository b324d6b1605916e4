"""The daemon's job for one feed: `Pipeline.poll`, then count, log and wake the dispatcher.

    pipeline.poll (lease ─▶ due ─▶ fetch ─▶ ... ─▶ ingest) ─▶ metrics and `poll_finished`
                                                          ─▶ wake the dispatcher if it alerted

The steps of a poll are the pipeline's (`poll --once` runs the same ones); this adds what only
the daemon does with a poll. A poll that fetched nothing (another instance holds the lease, the
feed backs off or is gone) counts nothing. A `StoreError` anywhere in the poll (the lease
itself included: a locked database, a full disk, a read-only data directory) is one
`poll_not_stored` line, a failed poll in the metrics, and a mark in `WriteHealth`; nothing of
the poll was stored, so its items stay new and the feed is polled again after its lease.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable

import structlog

from wirewatch.config.settings import FeedConfig
from wirewatch.errors import StoreError
from wirewatch.ingest.scheduling import JobSpec
from wirewatch.loading import Loaded
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.store_health import WriteHealth
from wirewatch.pipeline import Pipeline, PollReport

log = structlog.get_logger("wirewatch.daemon")


class FeedPoller:
    """Runs one feed's poll for the daemon (see the module docstring); never raises for the
    store's faults."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        metrics: Metrics,
        writes: WriteHealth,
        alerted: Callable[[], None],
        phases: random.Random,
    ) -> None:
        self._pipeline, self._metrics = pipeline, metrics
        self._writes, self._alerted, self._phases = writes, alerted, phases

    def jobs(self, loaded: Loaded, feeds: Iterable[FeedConfig]) -> dict[str, JobSpec]:
        """One scheduler job per feed, at the feed's interval."""
        shared = loaded.config.storage.is_postgres
        found = {}
        for feed in feeds:
            interval = loaded.config.feed_interval(feed)
            # Sharing a database, each instance starts each feed at a random phase, so that
            # the feeds' leases spread over the instances instead of all going to the first.
            first = self._phases.uniform(0, interval) if shared else None
            found[feed.key] = JobSpec(interval, self.job(feed), first)
        return found

    def job(self, feed: FeedConfig) -> Callable[[], Awaitable[None]]:
        async def poll() -> None:
            await self.poll(feed)

        return poll

    async def poll(self, feed: FeedConfig) -> None:
        with structlog.contextvars.bound_contextvars(feed=feed.label):
            try:
                report = await self._pipeline.poll(feed)
            except StoreError as e:
                log.error("poll_not_stored", error=str(e))
                self._metrics.poll("failed")
                self._writes.failed(str(e))
                return
        if not report.polled:
            return
        self._writes.succeeded()
        self._count(report)
        if report.alerts or report.joined:
            self._alerted()

    def _count(self, report: PollReport) -> None:
        metrics = self._metrics
        metrics.poll(report.status, report.elapsed)  # type: ignore[arg-type]
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
