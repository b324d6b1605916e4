"""Prometheus metrics of one wirewatch process, on a registry of their own.

`Metrics()` builds every metric on a fresh `CollectorRegistry` (never the global one), so tests
and a second instance in one process do not collide. The pipeline, the dispatcher and the daemon
update the public attributes directly or through the small helpers; `render()` produces the
exposition text for `/metrics`. The `*_created` timestamp series are switched off (process-wide,
in prometheus-client): they double the output and read oddly (`alerts_created_created`).

    wirewatch_polls_total{outcome}             ok | not_modified | failed | gone
    wirewatch_fetch_duration_seconds           histogram of one feed fetch
    wirewatch_items_parsed_total               items read from feeds
    wirewatch_matches_total{kind}              place | actor
    wirewatch_alerts_created_total             new alerts written with their outbox rows
    wirewatch_alerts_muted_total{reason}       drop | inhibit | silence: stored, sent to none
    wirewatch_stories_merged_total             reports that joined an existing story
    wirewatch_deliveries_total{notifier,outcome}   rows delivered | retried | dead
    wirewatch_delivery_duration_seconds{notifier}  histogram of one send attempt
    wirewatch_outbox_depth{notifier,state}     rows pending | failed | dead
    wirewatch_outbox_oldest_pending_seconds{notifier}  age of the oldest undelivered row
    wirewatch_notifier_up{notifier}            1, or 0 while the destination is failing
    wirewatch_feeds_failing / _silent          feeds in backoff / with no new item for long
    wirewatch_config_reloads_total{result}     ok | failed | refused
    wirewatch_build_info{version,python}       always 1
    process_* and python_*                     prometheus-client's process, platform and GC
                                               collectors
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Literal, get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)

from wirewatch import __version__
from wirewatch.model import EntityKind

if TYPE_CHECKING:
    from wirewatch.delivery.destinations import Destination

PollOutcome = Literal["ok", "not_modified", "failed", "gone"]
DeliveryOutcome = Literal["delivered", "retried", "dead"]
ReloadResult = Literal["ok", "failed", "refused"]
OutboxState = Literal["pending", "failed", "dead"]

MuteReason = Literal["drop", "inhibit", "silence"]

NAMESPACE = "wirewatch"
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric wirewatch exports, registered on `self.registry`."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, notifiers: Sequence[str] = ()
    ) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True) if registry is None else registry
        r, ns = self.registry, NAMESPACE
        counter = partial(Counter, namespace=ns, registry=r)
        gauge = partial(Gauge, namespace=ns, registry=r)
        histogram = partial(Histogram, namespace=ns, registry=r)
        self.polls = counter("polls", "Feed polls by outcome.", ["outcome"])
        self.fetch_seconds = histogram(
            "fetch_duration_seconds",
            "Time to fetch one feed, including redirects and the body.",
            buckets=FETCH_BUCKETS,
        )
        self.items_parsed = counter("items_parsed", "Items read from feeds.")
        self.matches = counter("matches", "Watchlist matches by entity kind.", ["kind"])
        self.alerts_created = counter("alerts_created", "New alerts.")
        self.alerts_muted = counter(
            "alerts_muted",
            "Alerts stored but sent to no notifier, by reason (a route's drop, a silence).",
            ["reason"],
        )
        self.stories_merged = counter("stories_merged", "Reports that joined an existing story.")
        self.deliveries = counter(
            "deliveries", "Outbox rows settled, by notifier and outcome.", ["notifier", "outcome"]
        )
        self.delivery_seconds = histogram(
            "delivery_duration_seconds",
            "Time of one send attempt (one message: an alert or a digest).",
            ["notifier"],
            buckets=DELIVERY_BUCKETS,
        )
        self.outbox_depth = gauge(
            "outbox_depth",
            "Outbox rows by notifier and state (pending, failed, dead).",
            ["notifier", "state"],
        )
        self.oldest_pending = gauge(
            "outbox_oldest_pending_seconds",
            "Age of the oldest pending or failed row, by notifier (0 when none).",
            ["notifier"],
        )
        self.notifier_up = gauge(
            "notifier_up",
            "1 while a notifier's destination works, 0 while it is failing.",
            ["notifier"],
        )
        self.feeds_failing = gauge("feeds_failing", "Feeds whose last poll failed.")
        self.feeds_silent = gauge(
            "feeds_silent", "Feeds with no new item for longer than expected."
        )
        self.config_reloads = counter("config_reloads", "Config reloads by result.", ["result"])
        self.build = Info("build", "Version of wirewatch and Python.", namespace=ns, registry=r)
        self.build.info({"version": __version__, "python": platform.python_version()})
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            r.register(collector)
        self._zero_labels()
        for name in notifiers:
            self.add_notifier(name)

    def _zero_labels(self) -> None:
        """Create every known label value, so that each series exists (at 0) from the start."""
        for outcome in get_args(PollOutcome):
            self.polls.labels(outcome=outcome)
        for kind in get_args(EntityKind):
            self.matches.labels(kind=kind)
        for reason in get_args(MuteReason):
            self.alerts_muted.labels(reason=reason)
        for result in get_args(ReloadResult):
            self.config_reloads.labels(result=result)

    def poll(self, outcome: PollOutcome, seconds: float | None = None) -> None:
        """Count one poll; `seconds` (when the fetch got that far) feeds the latency histogram."""
        self.polls.labels(outcome=outcome).inc()
        if seconds is not None:
            self.fetch_seconds.observe(seconds)

    def delivery(
        self, notifier: str, outcome: DeliveryOutcome, seconds: float | None = None
    ) -> None:
        """Count one settled row and, when it was sent, how long the send took."""
        self.deliveries.labels(notifier=notifier, outcome=outcome).inc()
        if seconds is not None:
            self.delivery_seconds.labels(notifier=notifier).observe(seconds)

    def add_notifier(self, notifier: str) -> None:
        """Create a notifier's series at 0 (and up), so they exist before its first send."""
        for outcome in get_args(DeliveryOutcome):
            self.deliveries.labels(notifier=notifier, outcome=outcome)
        for state in get_args(OutboxState):
            self.outbox_depth.labels(notifier=notifier, state=state)
        self.oldest_pending.labels(notifier=notifier)
        self.delivery_seconds.labels(notifier=notifier)
        self.notifier_up.labels(notifier=notifier).set(1)

    def destinations(self, health: Mapping[str, Destination]) -> None:
        """Set the per-notifier gauges from one reading of the store."""
        for name, d in health.items():
            self.add_notifier(name)
            for state in get_args(OutboxState):
                self.outbox_depth.labels(notifier=name, state=state).set(getattr(d, state))
            self.oldest_pending.labels(notifier=name).set(d.oldest_pending_seconds or 0.0)
            self.notifier_up.labels(notifier=name).set(0 if d.failing else 1)

    def match(self, kind: EntityKind, count: int = 1) -> None:
        self.matches.labels(kind=kind).inc(count)

    def muted(self, why: str) -> None:
        """Count one muted alert; `why` is its `Alert.muted` ("drop: ...", "silence ...")."""
        reason = "drop" if why.startswith("drop") else "silence"
        if why.startswith("inhibited"):
            reason = "inhibit"
        self.alerts_muted.labels(reason=reason).inc()

    def reload(self, result: ReloadResult) -> None:
        self.config_reloads.labels(result=result).inc()

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of every metric, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
