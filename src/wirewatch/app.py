"""The composition root, the only place concrete classes are chosen.

    build(loaded, clock=, transport=, webhook=, store=) -> App: store, pipeline (with its
        fetcher and parse workers), webhook client, notifiers, dispatcher, one scheduler job
        per feed, metrics, write health, the HTTP server with the API, silences and desk
    build_pipeline, build_dispatcher: the parts `poll --once` (and `--deliver`) uses

Tests build an App with fakes (`wirewatch.testing`, an `httpx.MockTransport`, their own store).
A reload makes a new App (`rebuild`) sharing the parts that live as long as the process;
`install` hands them the new config, and the daemon swaps its App for the new one.
"""

from __future__ import annotations

import dataclasses
import os
import random
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from wirewatch.config.settings import FeedConfig
from wirewatch.delivery.policy import DeliveryPolicy
from wirewatch.ingest.fetch import Fetcher
from wirewatch.ingest.gate import IngestGate
from wirewatch.ingest.netguard import IPNetwork
from wirewatch.loading import Loaded
from wirewatch.model import Clock, utc_now
from wirewatch.notify.base import Notifier
from wirewatch.parts import (
    build_notifiers,
    fetch_policy,
    open_store,
    parse_executor,
    webhook_client,
)
from wirewatch.pipeline import Pipeline
from wirewatch.storage import Store
from wirewatch.stories.grouping import story_index

if TYPE_CHECKING:  # the daemon's parts, imported by `build`: `poll --once` needs none of them
    from wirewatch.delivery.dispatch import Dispatcher, Observer
    from wirewatch.ingest.polling import FeedPoller
    from wirewatch.ingest.scheduling import FeedScheduler, JobSpec
    from wirewatch.observability.api import DaemonApi
    from wirewatch.observability.http import HttpServer
    from wirewatch.observability.metrics import Metrics
    from wirewatch.observability.store_health import WriteHealth


@dataclass(frozen=True, slots=True)
class Extra:
    """What a run adds to the config: `run --demo` polls its own feeds on its own server."""

    feeds: tuple[FeedConfig, ...] = ()
    networks: tuple[IPNetwork, ...] = ()
    """Networks the fetch guard lets through beyond `fetch.allow_networks`."""


@dataclass(frozen=True)
class App:
    """Everything one process works with, built from one config (see the module docstring)."""

    loaded: Loaded
    feeds: tuple[FeedConfig, ...]
    """The enabled feeds, the extra ones included."""
    jobs: dict[str, JobSpec]
    notifiers: dict[str, Notifier]
    policies: dict[str, DeliveryPolicy]
    # The parts below live as long as the process: a rebuilt App shares them.
    clock: Clock
    instance: str
    extra: Extra
    store: Store
    webhooks: httpx.AsyncClient
    pipeline: Pipeline
    dispatcher: Dispatcher
    poller: FeedPoller
    scheduler: FeedScheduler
    metrics: Metrics
    writes: WriteHealth
    api: DaemonApi
    http: HttpServer
    """Not started: the daemon starts it when `http.enabled`."""

    async def open(self) -> int:
        """Open and migrate the store and index the open stories; how many there are."""
        await self.store.open()
        await self.store.migrate()
        return await self.pipeline.warm()

    def install(self) -> None:
        """Hand this App's config to the long-lived parts (after `rebuild`)."""
        self.pipeline.reload(self.loaded)
        policy = fetch_policy(self.loaded.config, also_allow=self.extra.networks)
        self.pipeline.fetcher.allow_networks(policy.allow_networks)  # the rest needs a restart
        self.dispatcher.replace_notifiers(self.notifiers, self.policies)
        self.api.serve(self.loaded, self.feeds)
        self.scheduler.set_jobs(self.jobs)

    async def aclose(self) -> None:
        """Close what `build` opened: the HTTP server, the clients, the workers, the store."""
        await self.http.stop()
        await self.pipeline.fetcher.aclose()
        await self.webhooks.aclose()
        if self.pipeline.parse_executor is not None:
            self.pipeline.parse_executor.shutdown(wait=True, cancel_futures=True)
        await self.store.close()


def build(
    loaded: Loaded,
    *,
    clock: Clock = utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
    webhook: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
    instance: str | None = None,
    extra: Extra = Extra(),
) -> App:
    """Every part the daemon runs, from `loaded`. `transport` replaces the feeds' HTTP (and
    its guard), `webhook` the notifiers'; `store` the one `storage.url` names."""
    from wirewatch.ingest.polling import FeedPoller
    from wirewatch.ingest.scheduling import FeedScheduler
    from wirewatch.observability.api import DaemonApi
    from wirewatch.observability.metrics import Metrics
    from wirewatch.observability.store_health import WriteHealth

    instance = instance or instance_name()
    store = store or open_store(loaded.config)
    pipeline = build_pipeline(
        loaded, store=store, clock=clock, transport=transport, owner=instance, extra=extra
    )
    webhooks = webhook_client(webhook)
    metrics, writes, scheduler = (
        Metrics(notifiers=loaded.notifier_names),
        WriteHealth(clock),
        FeedScheduler(),
    )
    notifiers, policies = build_notifiers(loaded, client=webhooks, clock=clock)
    dispatcher = build_dispatcher(
        loaded, store=store, client=webhooks, owner=instance, clock=clock,
        observe=metrics.delivery, notifiers=(notifiers, policies),
    )  # fmt: skip
    poller = FeedPoller(
        pipeline=pipeline,
        metrics=metrics,
        writes=writes,
        alerted=dispatcher.wake,
        phases=random.Random(instance),
    )
    feeds = enabled_feeds(loaded, extra)
    api = DaemonApi(
        loaded,
        feeds,
        store=store,
        clock=clock,
        instance=instance,
        metrics=metrics,
        writes=writes,
        scheduling=lambda: scheduler.running,
        notifiers=lambda: dispatcher.notifier_names,
    )
    return App(
        loaded, feeds, poller.jobs(loaded, feeds), notifiers, policies, clock, instance, extra,
        store, webhooks, pipeline, dispatcher, poller, scheduler, metrics, writes, api,
        _http(api, pipeline, metrics, clock),
    )  # fmt: skip


def build_pipeline(
    loaded: Loaded,
    *,
    store: Store,
    owner: str,
    clock: Clock = utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
    extra: Extra = Extra(),
    processes: bool = True,
    gate: IngestGate | None = None,
    one_cycle: bool = False,
) -> Pipeline:
    """The per-feed path with its fetcher (`pipeline.fetcher`, to close). `processes=False`
    parses in a thread instead of the configured workers; `gate` orders one cycle's ingests;
    `one_cycle` builds a missing gazetteer index only once a report needs towns. Feeds are
    fetched through aiohttp (`lean`) unless `transport` is given."""
    config = loaded.config
    policy = fetch_policy(config, also_allow=extra.networks)
    return Pipeline(
        loaded,
        store=store,
        fetcher=Fetcher(policy, transport=transport, lean=True),
        stories=story_index(loaded, early=not one_cycle),
        clock=clock,
        owner=owner,
        parse_executor=parse_executor(config) if processes else None,
        gate=gate,
    )


def build_dispatcher(
    loaded: Loaded,
    *,
    store: Store,
    client: httpx.AsyncClient,
    owner: str,
    clock: Clock = utc_now,
    observe: Observer | None = None,
    notifiers: tuple[dict[str, Notifier], dict[str, DeliveryPolicy]] | None = None,
) -> Dispatcher:
    """The outbox dispatcher with the configured notifiers (built on `client` unless given)."""
    from wirewatch.delivery.dispatch import Dispatcher

    found, policies = notifiers or build_notifiers(loaded, client=client, clock=clock)
    lease = loaded.config.daemon.delivery_lease
    return Dispatcher(
        store, found, policies, clock=clock, rng=random.Random(), owner=owner,
        lease_seconds=lease, observe=observe,
    )  # fmt: skip


def instance_name() -> str:
    """This process's name in leases and logs: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def rebuild(app: App, loaded: Loaded) -> App:
    """A new App for a reloaded config, sharing `app`'s long-lived parts; `install` it."""
    notifiers, policies = build_notifiers(loaded, client=app.webhooks, clock=app.clock)
    feeds = enabled_feeds(loaded, app.extra)
    return dataclasses.replace(
        app,
        loaded=loaded,
        feeds=feeds,
        jobs=app.poller.jobs(loaded, feeds),
        notifiers=notifiers,
        policies=policies,
    )


def enabled_feeds(loaded: Loaded, extra: Extra) -> tuple[FeedConfig, ...]:
    return tuple(f for f in (*loaded.config.feeds, *extra.feeds) if f.enabled)


def _http(api: DaemonApi, pipeline: Pipeline, metrics: Metrics, clock: Clock) -> HttpServer:
    """The HTTP server with the API, /api/silences and the desk mounted."""
    from wirewatch import web
    from wirewatch.delivery.routing import matcher_problems
    from wirewatch.observability.http import HttpServer
    from wirewatch.observability.silences_api import SilencesApi

    token = api.loaded.config.http.token
    http = HttpServer(
        metrics=metrics,
        checks=api.checks(),
        alerts=api.alerts,
        places=api.places,
        feeds=api.feed_rows,
        notifiers=api.notifier_rows,
        token=token,
        before_scrape=api.refresh_gauges,
        clock=clock,
    )
    SilencesApi(
        pipeline.store,
        clock=clock,
        check=lambda found: matcher_problems(found, api.loaded.known),
        changed=pipeline.silences.forget,
    ).install(http.app)
    sources = web.DeskSources(
        store=pipeline.store,
        feeds=api.feed_rows,
        notifiers=api.notifier_rows,
        matchers=lambda: api.loaded.matchers,
        clock=clock,
        token=token,
    )
    http.mount(web.install(sources), public=web.PUBLIC, login=web.LOGIN)
    return http
