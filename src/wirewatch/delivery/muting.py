"""What happens to a new alert before it is stored: routed, then perhaps muted.

The order, written once: the routing tree picks the notifiers (an explicit drop ends it
there), then an inhibition rule may mute it, then a silence may. A muted alert is still stored,
with `muted` saying why, and gets no outbox rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wirewatch.delivery.inhibit import OpenAlert, Rule, inhibited_by, longest_window
from wirewatch.delivery.matchers import Labels
from wirewatch.delivery.routing import Router
from wirewatch.delivery.silences import Silence, muting
from wirewatch.model import Classification, FeedItem
from wirewatch.storage.base import AlertRecord, Store, Verdict

if TYPE_CHECKING:
    from wirewatch.loading import Loaded

OPEN_ALERTS = 1000
"""At most this many recent alerts are looked at as sources of inhibition."""


@dataclass(frozen=True, slots=True)
class Muter:
    """Everything one poll needs to decide its alerts' fate."""

    router: Router
    now: datetime
    silences: Sequence[Silence] = ()
    rules: Sequence[Rule] = ()
    open_alerts: Sequence[OpenAlert] = ()

    def verdict(
        self,
        result: Classification,
        labels: Labels,
        names: tuple[tuple[str, str], ...] = (),
    ) -> Verdict:
        """`labels` are what matchers see; `names` the entities' display names, for the alert."""
        routed = self.router.route(labels)
        muted = routed.muted
        if muted is None and result.alert:
            muted = self._muted(labels)
        destinations = () if muted else routed.notifiers
        return Verdict(
            result, destinations, labels.severity, labels.tags, labels=names, muted=muted
        )

    def _muted(self, labels: Labels) -> str | None:
        if self.rules and (why := inhibited_by(self.rules, self.open_alerts, labels, self.now)):
            return why
        silence = muting(self.silences, labels, self.now)
        return silence.reason if silence else None


class SilenceCache:
    """The silences in force, read from the store at most once every `ttl` seconds, so that
    polls of many feeds do not each ask the database. A change made through this process
    (`forget`) applies at once; one made by another instance, within `ttl`."""

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = timedelta(seconds=ttl)
        self._read_at: datetime | None = None
        self._silences: list[Silence] = []

    async def get(self, store: Store, now: datetime) -> list[Silence]:
        fresh = self._read_at is not None and self._read_at <= now < self._read_at + self.ttl
        if not fresh:
            self._silences = await store.active_silences(now)
            self._read_at = now
        return self._silences

    def forget(self) -> None:
        self._read_at = None


async def prepare(
    store: Store, loaded: Loaded, now: datetime, cache: SilenceCache | None = None
) -> Muter:
    """A poll's muter: the silences in force and, with inhibition rules, the open alerts."""
    silences = await (cache or SilenceCache()).get(store, now)
    rules = loaded.inhibit_rules
    if not rules:
        return Muter(loaded.router, now, silences)
    names = {f.key: f.label for f in loaded.config.feeds}
    records = await store.recent_alerts(now - longest_window(rules), limit=OPEN_ALERTS)
    return Muter(loaded.router, now, silences, rules, [open_alert(r, names) for r in records])


def item_action(item: FeedItem) -> str | None:
    """The action kind an item reports, as story grouping finds it (`events.Event.action`):
    what route, silence and inhibition matchers on `action` compare."""
    from wirewatch.stories.events import event_of
    from wirewatch.stories.member import item_text

    return event_of(item_text(item.title, item.summary)).action


def open_alert(record: AlertRecord, feed_names: Mapping[str, str]) -> OpenAlert:
    """A stored alert as inhibition sees it; `feed_names` maps feed keys to their names."""
    alert = record.alert
    feed = alert.item.feed
    labels = Labels(
        watchlist=alert.watchlist,
        entities=record.entities,
        kinds=tuple(dict.fromkeys(m.kind for m in alert.matches)),
        severity=alert.severity,
        tags=alert.tags,
        feed=tuple(dict.fromkeys(f for f in (feed_names.get(feed), feed) if f)),
        action=alert.action,
    )
    return OpenAlert(alert.id, labels, alert.created_at)
