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
    wirewatch_deliveries_total{outcome}        delivered | retried | dead
    wirewatch_delivery_duration_seconds        histogram of one notifier send
    wirewatch_outbox_depth                     deliveries still to make
    wirewatch_feeds_failing / _silent          feeds in backoff / with no new item for long
    wirewatch_config_reloads_total{result}     ok | failed
    wirewatch_build_info{version,python}       always 1
"""

from __future__ import annotations

import platform
from typing import Literal, get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)

from wirewatch import __version__

PollOutcome = Literal["ok", "not_modified", "failed", "gone"]
DeliveryOutcome = Literal["delivered", "retried", "dead"]
ReloadResult = Literal["ok", "failed"]
EntityKind = Literal["place", "actor"]
MuteReason = Literal["drop", "inhibit", "silence"]

NAMESPACE = "wirewatch"
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric wirewatch exports, registered on `self.registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True) if registry is None else registry
        r, ns = self.registry, NAMESPACE
        self.polls = Counter(
            "polls", "Feed polls by outcome.", ["outcome"], namespace=ns, registry=r
        )
        self.fetch_seconds = Histogram(
            "fetch_duration_seconds",
            "Time to fetch one feed, including redirects and the body.",
            namespace=ns,
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self.items_parsed = Counter(
            "items_parsed", "Items read from feeds.", namespace=ns, registry=r
        )
        self.matches = Counter(
            "matches", "Watchlist matches by entity kind.", ["kind"], namespace=ns, registry=r
        )
        self.alerts_created = Counter("alerts_created", "New alerts.", namespace=ns, registry=r)
        self.alerts_muted = Counter(
            "alerts_muted",
            "Alerts stored but sent to no notifier, by reason (a route's drop, a silence).",
            ["reason"],
            namespace=ns,
            registry=r,
        )
        self.stories_merged = Counter(
            "stories_merged", "Reports that joined an existing story.", namespace=ns, registry=r
        )
        self.deliveries = Counter(
            "deliveries", "Delivery attempts by outcome.", ["outcome"], namespace=ns, registry=r
        )
        self.delivery_seconds = Histogram(
            "delivery_duration_seconds",
            "Time for one notifier to send one alert.",
            namespace=ns,
            buckets=DELIVERY_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge(
            "outbox_depth", "Deliveries still to make.", namespace=ns, registry=r
        )
        self.feeds_failing = Gauge(
            "feeds_failing", "Feeds whose last poll failed.", namespace=ns, registry=r
        )
        self.feeds_silent = Gauge(
            "feeds_silent",
            "Feeds with no new item for longer than expected.",
            namespace=ns,
            registry=r,
        )
        self.config_reloads = Counter(
            "config_reloads", "Config reloads by result.", ["result"], namespace=ns, registry=r
        )
        self.build = Info("build", "Version of wirewatch and Python.", namespace=ns, registry=r)
        self.build.info({"version": __version__, "python": platform.python_version()})
        self._zero_labels()

    def _zero_labels(self) -> None:
        """Create every known label value, so that each series exists (at 0) from the start."""
        for outcome in get_args(PollOutcome):
            self.polls.labels(outcome=outcome)
        for kind in get_args(EntityKind):
            self.matches.labels(kind=kind)
        for outcome in get_args(DeliveryOutcome):
            self.deliveries.labels(outcome=outcome)
        for reason in get_args(MuteReason):
            self.alerts_muted.labels(reason=reason)
        for result in get_args(ReloadResult):
            self.config_reloads.labels(result=result)

    def poll(self, outcome: PollOutcome, seconds: float | None = None) -> None:
        """Count one poll; `seconds` (when the fetch got that far) feeds the latency histogram."""
        self.polls.labels(outcome=outcome).inc()
        if seconds is not None:
            self.fetch_seconds.observe(seconds)

    def delivery(self, outcome: DeliveryOutcome, seconds: float | None = None) -> None:
        """Count one delivery attempt and, when it was sent, how long the send took."""
        self.deliveries.labels(outcome=outcome).inc()
        if seconds is not None:
            self.delivery_seconds.observe(seconds)

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
