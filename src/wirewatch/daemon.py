"""The daemon's lifecycle: start everything, reload on SIGHUP or file change, stop gracefully.

One asyncio process runs the feed scheduler, the outbox dispatcher, retention and the HTTP
server. SIGTERM/SIGINT stop scheduling, let in-flight polls and deliveries finish within
`daemon.grace`, close the store and exit 0; a second signal stops at once (the outbox keeps
whatever was not delivered). A signal during startup is the same clean stop: `wirewatch run`
catches it from its first instant (`stops.Stops`) and the daemon acts on it once it can.

A reload validates first and keeps the old config when the new one fails for any reason or is
refused (see `reloading`); `/readyz` shows why. A poll whose work cannot be stored (a locked
database, a full disk, a read-only data directory) logs one `poll_not_stored` line, counts as a
failed poll and makes `/readyz` degraded until a write succeeds again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import signal
import socket
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
import structlog

from wirewatch import app, reloading
from wirewatch.app import Loaded
from wirewatch.config.settings import FeedConfig, HttpConfig
from wirewatch.delivery.destinations import Destination, read_destinations
from wirewatch.delivery.dispatch import Dispatcher
from wirewatch.delivery.matchers import Matcher
from wirewatch.delivery.routing import matcher_problems
from wirewatch.errors import ConfigError, StoreError, UserError
from wirewatch.geojson import PlaceIndex
from wirewatch.ingest.fetch import Fetcher
from wirewatch.ingest.netguard import IPNetwork
from wirewatch.ingest.polling import FeedPoller
from wirewatch.ingest.scheduling import FeedScheduler, JobSpec
from wirewatch.observability.http import AlertQuery, Check, HttpServer
from wirewatch.observability.logging import default_redactor, redact_log_url
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.silences_api import SilencesApi
from wirewatch.observability.store_health import WriteHealth
from wirewatch.pipeline import Pipeline
from wirewatch.stops import Stops
from wirewatch.storage import Store, is_silent
from wirewatch.stories.grouping import story_index

log = structlog.get_logger("wirewatch.daemon")


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


class Daemon:
    """Everything `wirewatch run` starts, built from one config file."""

    def __init__(
        self,
        loaded: Loaded,
        path: str,
        *,
        demo_feeds: tuple[FeedConfig, ...] = (),
        demo_networks: tuple[IPNetwork, ...] = (),
        stops: Stops | None = None,
        load: Callable[[str], Loaded] = app.load_everything,
    ):
        self.loaded = loaded
        self.path = path
        self._load = load
        self.demo_feeds = demo_feeds
        self.demo_networks = demo_networks
        self.stops = stops or Stops()
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self._phases = random.Random(self.instance)
        self.metrics = Metrics(notifiers=tuple(loaded.notifiers) or ("console",))
        self.stop_requested = asyncio.Event()
        self.reload_error: str | None = None
        self.writes = WriteHealth(app.utc_now)
        self.store: Store = app.open_store(loaded.config)
        self.fetcher = Fetcher(app.fetch_policy(loaded.config, also_allow=demo_networks))
        self.webhooks = httpx.AsyncClient(follow_redirects=False, transport=app.webhook_transport())
        self.scheduler = FeedScheduler()
        self.pipeline = Pipeline(
            loaded,
            store=self.store,
            fetcher=self.fetcher,
            stories=story_index(loaded),
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
        self.poller = FeedPoller(
            store=self.store,
            pipeline=self.pipeline,
            metrics=self.metrics,
            writes=self.writes,
            alerted=self.dispatcher.wake,
            owner=self.instance,
            clock=app.utc_now,
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
        SilencesApi(
            self.store,
            clock=app.utc_now,
            check=self._check_silence,
            changed=self.pipeline.silences.forget,
        ).install(self.http.app)
        self._mount_desk()

    def _check_silence(self, matchers: Sequence[Matcher]) -> list[str]:
        return matcher_problems(matchers, self.loaded.known)

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
        self._install_signals()
        await self.store.open()
        await self.store.migrate()
        warmed = await self.pipeline.warm()
        port = await self._start_http()
        if self.stop_requested.is_set():  # stopped while starting: nothing was scheduled yet
            await self._shutdown([])
            return 0
        self.scheduler.set_jobs(self._jobs(self.loaded))
        self.scheduler.start()
        tasks = [
            asyncio.create_task(self.dispatcher.run(self.stop_requested), name="dispatcher"),
            asyncio.create_task(self._retention(), name="retention"),
            asyncio.create_task(self._watch_files(), name="watch-files"),
        ]
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
        self.stops.attach(loop, self._stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload("SIGHUP")))

    def _stop(self, signal_name: str) -> None:
        log.info("stopping", signal=signal_name, grace=self.loaded.config.daemon.grace)
        self.stop_requested.set()

    async def _start_http(self) -> int | None:
        """Serve HTTP if enabled; a port in use is the config's fault: one line, exit 2."""
        http = self.loaded.config.http
        if not http.enabled:
            return None
        try:
            port = await self.http.start(http.host, http.port)
        except OSError as e:
            await self._shutdown([], quiet=True)  # the error line says it all
            reason = os.strerror(e.errno).lower() if e.errno else str(e)
            raise UserError(
                f"http: cannot listen on {http.host}:{http.port}: {reason}; set http.port "
                "(or WIREWATCH_HTTP__PORT) to a free port, or stop the program using it"
            ) from None
        warn_if_exposed(http, port)
        return port

    async def _shutdown(self, tasks: list[asyncio.Task[Any]], *, quiet: bool = False) -> None:
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
        if not quiet:
            log.info("stopped")

    async def reload(self, reason: str) -> bool:
        """Read the config files again; apply them if they are valid and not refused (an
        explicit SIGHUP is never refused), else keep the old ones. Never raises."""
        try:
            loaded = await asyncio.to_thread(self._load, self.path)
            refused = None if reason == "SIGHUP" else await self._refusal(loaded)
            if refused is None:
                self._apply(loaded)
        except Exception as e:  # YAML, validation, MemoryError, a bug: the old config stays
            error = str(e) if isinstance(e, ConfigError) else f"{type(e).__name__}: {e}"
            return self._reload_not_applied("failed", reason, error)
        if refused is not None:
            return self._reload_not_applied("refused", reason, refused)
        self.reload_error = None
        self.metrics.reload("ok")
        log.info(
            "reloaded",
            reason=reason,
            feeds=len(self._feeds_of(loaded)),
            watchlists=list(loaded.matchers),
        )
        return True

    async def _refusal(self, loaded: Loaded) -> str | None:
        return reloading.refusal(
            feeds_now=sum(f.enabled for f in self.loaded.config.feeds),
            feeds_new=sum(f.enabled for f in loaded.config.feeds),
            queued=await self.store.outbox_depth_by_notifier(),
            notifiers_new=loaded.notifier_names,
        )

    def _apply(self, loaded: Loaded) -> None:
        notifiers, policies = app.build_notifiers(loaded, client=self.webhooks)
        jobs = self._jobs(loaded)
        self.loaded = loaded
        self.pipeline.reload(loaded)
        policy = app.fetch_policy(loaded.config, also_allow=self.demo_networks)
        self.fetcher.allow_networks(policy.allow_networks)  # other fetch.* keys need a restart
        self.dispatcher.replace_notifiers(notifiers, policies)
        self.scheduler.set_jobs(jobs)

    def _reload_not_applied(self, result: str, reason: str, error: str) -> bool:
        line = " ".join(error.split())
        self.reload_error = f"config reload {result}: {line[:500]}"
        self.metrics.reload("failed" if result == "failed" else "refused")
        log.error(f"reload_{result}", reason=reason, error=line, note="the old config stays")
        return False

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
            jobs[feed.key] = JobSpec(interval, self.poller.job(feed, interval), first)
        return jobs

    async def _retention(self) -> None:
        retention = self.loaded.config.retention
        while True:
            await asyncio.sleep(retention.every)
            try:
                pruned = await self.store.prune(
                    app.utc_now(),
                    max_age=timedelta(seconds=retention.max_age),
                    seen_max_age=timedelta(seconds=retention.seen_max_age),
                )
            except StoreError as e:  # the next pass tries again
                log.error("retention_failed", error=str(e))
                continue
            self.pipeline.stories.expire(app.utc_now() - self.pipeline.stories.window)
            log.info(
                "retention_pass",
                **{
                    k: getattr(pruned, k)
                    for k in ("items", "stories", "alerts", "deliveries", "seen")
                },
            )

    # ---- file watching -------------------------------------------------------------------

    async def _watch_files(self) -> None:
        if self.loaded.config.daemon.watch_files:
            await reloading.watch(lambda: self.loaded.files, lambda: self.reload("file_changed"))

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
            "store_writes": self.writes.check,
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
        for row, record in zip(rows, records, strict=True):  # for maps: coordinates, admin
            row["places"] = self.loaded.places.located(record.alert)  # path, towns named
        return rows

    def _places(self) -> PlaceIndex:
        return self.loaded.places.index

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
                    "url": redact_log_url(feed.url),
                    "held_by": owner if until and until > now else None,
                    "lease_until": until,
                    "status": str(state.status) if state else "pending",
                    "silent": bool(state and is_silent(state, now)),
                    "consecutive_failures": state.consecutive_failures if state else 0,
                    "last_error": default_redactor(state.last_error)
                    if state and state.last_error
                    else None,
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
