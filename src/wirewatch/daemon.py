"""The daemon's lifecycle: start everything, reload on SIGHUP or file change, stop gracefully.

One asyncio process runs the feed scheduler, the outbox dispatcher, retention and the HTTP
server. SIGTERM/SIGINT stop scheduling, let in-flight polls and deliveries finish within
`daemon.grace`, close the store and exit 0; a second signal stops at once (the outbox keeps
whatever was not delivered). A reload validates first and keeps the old config when invalid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog

from wirewatch import app
from wirewatch.app import Loaded
from wirewatch.config import FeedConfig
from wirewatch.destinations import Destination, read_destinations
from wirewatch.dispatch import Dispatcher
from wirewatch.errors import ConfigError, StoreError
from wirewatch.fetch import Fetcher
from wirewatch.geojson import PlaceIndex, alert_places, place_index
from wirewatch.observability.http import AlertQuery, Check, HttpServer
from wirewatch.observability.metrics import Metrics
from wirewatch.pipeline import Pipeline, PollReport
from wirewatch.scheduling import FeedScheduler, JobSpec
from wirewatch.storage import Store, is_silent

log = structlog.get_logger("wirewatch.daemon")
_SAME_SIGNAL = 0.5  # seconds: a second signal sooner than this is the same stop, delivered twice


class Daemon:
    """Everything `wirewatch run` starts, built from one config file."""

    def __init__(self, loaded: Loaded, path: str, *, demo_feeds: tuple[FeedConfig, ...] = ()):
        self.loaded = loaded
        self.path = path
        self.demo_feeds = demo_feeds
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self._phases = random.Random(self.instance)
        self.metrics = Metrics(notifiers=tuple(loaded.notifiers) or ("console",))
        self.stop_requested = asyncio.Event()
        self.signals = 0
        self._first_signal = 0.0
        self.reload_error: str | None = None
        self.store: Store = app.open_store(loaded.config)
        self.fetcher = Fetcher(app.fetch_policy(loaded.config))
        self.webhooks = httpx.AsyncClient(follow_redirects=False, transport=app.webhook_transport())
        self.scheduler = FeedScheduler()
        self.pipeline = Pipeline(
            loaded,
            store=self.store,
            fetcher=self.fetcher,
            stories=app.story_index(loaded.config),
            clock=app.utc_now,
            parse_executor=app.parse_executor(loaded.config),
        )
        notifiers, policies = app.build_notifiers(loaded, client=self.webhooks)
        self.dispatcher = Dispatcher(
            self.store,
            notifiers,
            policies,
            clock=app.utc_now,
            rng=random.Random(),
            owner=self.instance,
            lease_seconds=loaded.config.daemon.delivery_lease,
            observe=self.metrics.delivery,
        )
        self.http = HttpServer(
            metrics=self.metrics,
            checks=self._checks(),
            alerts=self._alerts,
            places=self._places,
            feeds=self._feeds,
            notifiers=self._notifiers,
            token=loaded.config.http.token,
            before_scrape=self._refresh_gauges,
        )
        self._mount_desk()
        self._mtimes = self._file_times()

    def _mount_desk(self) -> None:
        from wirewatch import web

        sources = web.DeskSources(
            store=self.store,
            feeds=self._feeds,
            notifiers=self._notifiers,
            matchers=lambda: self.loaded.matchers,
            clock=app.utc_now,
            token=self.loaded.config.http.token,
        )
        self.http.mount(web.install(sources), public=web.PUBLIC, login=web.LOGIN)

    async def run(self) -> int:
        """Run until a signal; return the exit code."""
        await self.store.open()
        await self.store.migrate()
        warmed = await self.pipeline.warm()
        self._install_signals()
        self.scheduler.set_jobs(self._jobs(self.loaded))
        self.scheduler.start()
        tasks = [
            asyncio.create_task(self.dispatcher.run(self.stop_requested), name="dispatcher"),
            asyncio.create_task(self._retention(), name="retention"),
            asyncio.create_task(self._watch_files(), name="watch-files"),
        ]
        http = self.loaded.config.http
        port = await self.http.start(http.host, http.port) if http.enabled else None
        log.info(
            "daemon_started",
            instance=self.instance,
            feeds=len(self._feeds_of(self.loaded)),
            watchlists=list(self.loaded.matchers),
            stories_warmed=warmed,
            http_port=port,
        )
        await self.stop_requested.wait()
        await self._shutdown(tasks)
        return 0

    # ---- lifecycle -----------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_stop_signal, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self._on_stop_signal, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload("SIGHUP")))

    def _on_stop_signal(self, name: str) -> None:
        now = time.monotonic()
        if self.signals and now - self._first_signal < _SAME_SIGNAL:
            return  # one stop delivered twice (to the process and to its group)
        self.signals += 1
        if self.signals == 1:
            self._first_signal = now
            log.info("stopping", signal=name, grace=self.loaded.config.daemon.grace)
            self.stop_requested.set()
        else:
            log.warning("stopping_now", signal=name, note="undelivered alerts stay in the outbox")
            os._exit(0)

    async def _shutdown(self, tasks: list[asyncio.Task[Any]]) -> None:
        grace = self.loaded.config.daemon.grace
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        await self.scheduler.stop(grace)
        await self.dispatcher.drain(max(0.0, deadline - loop.time()))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.http.stop()
        await self.fetcher.aclose()
        await self.webhooks.aclose()
        if self.pipeline.parse_executor is not None:
            self.pipeline.parse_executor.shutdown(wait=True, cancel_futures=True)
        await self.store.close()
        log.info("stopped")

    async def reload(self, reason: str) -> bool:
        """Validate the config files again; apply them if valid, else keep the old ones."""
        try:
            loaded = await asyncio.to_thread(app.load_everything, self.path)
        except ConfigError as e:
            self.reload_error = str(e)
            self.metrics.reload("failed")
            log.error("reload_failed", reason=reason, error=str(e), note="the old config stays")
            return False
        self.loaded = loaded
        self.reload_error = None
        self.pipeline.reload(loaded)
        notifiers, policies = app.build_notifiers(loaded, client=self.webhooks)
        self.dispatcher.replace_notifiers(notifiers, policies)
        self.scheduler.set_jobs(self._jobs(loaded))
        self.metrics.reload("ok")
        log.info(
            "reloaded",
            reason=reason,
            feeds=len(self._feeds_of(loaded)),
            watchlists=list(loaded.matchers),
        )
        return True

    # ---- jobs ----------------------------------------------------------------------------

    def _feeds_of(self, loaded: Loaded) -> tuple[FeedConfig, ...]:
        return tuple(f for f in (*loaded.config.feeds, *self.demo_feeds) if f.enabled)

    def _jobs(self, loaded: Loaded) -> dict[str, JobSpec]:
        shared = loaded.config.storage.is_postgres
        jobs = {}
        for feed in self._feeds_of(loaded):
            interval = loaded.config.feed_interval(feed)
            # Sharing a database, each instance starts each feed at a random phase, so that
            # the feeds' leases spread over the instances instead of all going to the first.
            first = self._phases.uniform(0, interval) if shared else None
            jobs[feed.key] = JobSpec(interval, self._poller(feed), first)
        return jobs

    def _poller(self, feed: FeedConfig) -> Callable[[], Any]:
        interval = self.loaded.config.feed_interval(feed)

        async def poll() -> None:
            now = app.utc_now()
            lease = now + timedelta(seconds=interval * 0.9)
            # Every instance schedules every feed; the lease makes one of them poll it per
            # interval, and hands a dead instance's feeds to the others when it expires.
            if not await self.store.claim_feed(feed.key, now=now, until=lease, owner=self.instance):
                return
            if not await self.pipeline.is_due(feed):
                return
            with structlog.contextvars.bound_contextvars(feed=feed.label):
                try:
                    report = await self.pipeline.poll(feed)
                except StoreError as e:
                    # Nothing of this poll was stored (its items stay new, its ETag unsaved):
                    # the feed is polled again once its lease ends.
                    log.error("poll_not_stored", error=str(e))
                    self.metrics.poll("failed")
                    return
            self._count(report)
            if report.alerts or report.joined:
                self.dispatcher.wake()

        return poll

    def _count(self, report: PollReport) -> None:
        outcome = report.status if report.status != "disabled" else "gone"
        self.metrics.poll(outcome, report.elapsed)  # type: ignore[arg-type]
        self.metrics.items_parsed.inc(report.items)
        self.metrics.alerts_created.inc(len(report.alerts))
        self.metrics.stories_merged.inc(report.joined)
        for alert in report.alerts:
            for kind in ("place", "actor"):
                self.metrics.match(kind, sum(m.kind == kind for m in alert.matches))
        if report.status == "ok":
            log.info(
                "poll_finished",
                feed=report.feed,
                items=report.items,
                new=report.new,
                alerts=len(report.alerts),
                seconds=round(report.elapsed, 3),
            )

    async def _retention(self) -> None:
        retention = self.loaded.config.retention
        while True:
            await asyncio.sleep(retention.every)
            pruned = await self.store.prune(
                app.utc_now(),
                max_age=timedelta(seconds=retention.max_age),
                seen_max_age=timedelta(seconds=retention.seen_max_age),
            )
            self.pipeline.stories.expire(app.utc_now() - self.pipeline.stories.window)
            log.info(
                "retention_pass",
                **{
                    k: getattr(pruned, k)
                    for k in ("items", "stories", "alerts", "deliveries", "seen")
                },
            )

    # ---- file watching -------------------------------------------------------------------

    def _file_times(self) -> dict[Path, float]:
        times = {}
        for path in self.loaded.files:
            with contextlib.suppress(OSError):
                times[path] = path.stat().st_mtime
        return times

    async def _watch_files(self) -> None:
        if not self.loaded.config.daemon.watch_files:
            return
        while True:
            await asyncio.sleep(1.0)
            current = self._file_times()
            if current != self._mtimes:
                self._mtimes = current
                await self.reload("file_changed")
                self._mtimes = self._file_times()

    # ---- HTTP ----------------------------------------------------------------------------

    def _checks(self) -> dict[str, Any]:
        async def store() -> Check:
            await self.store.ping()
            return Check(True)

        return {
            "store": store,
            "scheduler": lambda: Check(
                self.scheduler.running, None if self.scheduler.running else "not running"
            ),
            "config": lambda: Check(True, str(self.loaded.config.source)),
            "last_reload": lambda: Check(
                self.reload_error is None, self.reload_error, required=False
            ),
            "instance": self._leases,
            "destinations": self._destinations_check,
        }

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

    async def _destinations(self) -> dict[str, Destination]:
        names = self.dispatcher.notifier_names
        return await read_destinations(self.store, names, app.utc_now())

    async def _notifiers(self) -> list[dict[str, Any]]:
        return [d.as_json() for d in (await self._destinations()).values()]

    async def _leases(self) -> Check:
        """This instance's name and how many feed leases it holds now."""
        now = app.utc_now()
        held = sum(
            owner == self.instance and until > now
            for owner, until in (await self.store.feed_owners()).values()
        )
        return Check(True, f"{self.instance} holds {held} feed lease(s)", required=False)

    async def _alerts(self, query: AlertQuery) -> list[dict[str, Any]]:
        from wirewatch.commands.alerts import record_json

        records = await self.store.recent_alerts(
            query.since,
            watchlist=query.watchlist,
            entity=query.entity,
            limit=query.limit,
            offset=query.offset,
        )
        rows = [record_json(r) for r in records]
        places = self._places()
        for row in rows:  # where each alert is, for maps: coordinates and admin path
            row["places"] = [point.as_json() for point in alert_places(row, places)]
        return rows

    def _places(self) -> PlaceIndex:
        return place_index(self.loaded.matchers)

    async def _feeds(self) -> list[dict[str, Any]]:
        states = {s.key: s for s in await self.store.list_feed_states()}
        owners = await self.store.feed_owners()
        now = app.utc_now()
        rows = []
        for feed in self._feeds_of(self.loaded):
            state = states.get(feed.key)
            owner, until = owners.get(feed.key, (None, None))
            rows.append(
                {
                    "name": feed.label,
                    "url": feed.url,
                    "held_by": owner if until and until > now else None,
                    "lease_until": until,
                    "status": str(state.status) if state else "pending",
                    "silent": bool(state and is_silent(state, now)),
                    "consecutive_failures": state.consecutive_failures if state else 0,
                    "last_error": state.last_error if state else None,
                    "last_success": state.last_success if state else None,
                    "last_new_item": state.last_new_item if state else None,
                    "next_due": state.next_due if state else None,
                    "http_status": state.http_status if state else None,
                }
            )
        return rows

    async def _refresh_gauges(self) -> None:
        states = await self.store.list_feed_states()
        now = app.utc_now()
        self.metrics.destinations(await self._destinations())
        self.metrics.feeds_failing.set(sum(str(s.status) == "failing" for s in states))
        self.metrics.feeds_silent.set(sum(is_silent(s, now) for s in states))
