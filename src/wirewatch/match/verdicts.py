"""The novelty and classify steps of one feed's poll: each item's novelty, and for a new or
updated item its verdict from every watchlist the feed uses (labels, mutes and all).

A new feed's first poll (without `backfill`) only records what it holds as seen: nothing is
classified. Under the story lock the pipeline asks again (another instance may have stored an
item meanwhile) and passes the first answer as `earlier`: items whose novelty did not change
keep their verdicts instead of being classified twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wirewatch.config.settings import FeedConfig
from wirewatch.delivery.muting import Muter, SilenceCache, item_action, prepare
from wirewatch.delivery.routing import labels_of
from wirewatch.loading import Loaded
from wirewatch.match.watchlist import entity_labels
from wirewatch.model import FeedItem
from wirewatch.storage import FeedState, Novelty, Store, Verdict

Classified = list[tuple[FeedItem, Novelty, tuple[Verdict, ...]]]


@dataclass(frozen=True, slots=True)
class Classify:
    """Novelty from the store, then verdicts for one feed's items (see the module docstring)."""

    store: Store
    loaded: Loaded
    silences: SilenceCache

    async def __call__(
        self,
        feed: FeedConfig,
        state: FeedState,
        items: tuple[FeedItem, ...],
        now: datetime,
        earlier: Classified | None = None,
    ) -> Classified:
        first_poll = state.first_polled is None and not feed.backfill
        # A first poll records every item as seen whatever the store holds: nothing to ask.
        novelty = {} if first_poll else await self.store.novelty(feed.key, items)
        before = {item.id: (novel, verdicts) for item, novel, verdicts in earlier or ()}
        novel_of = {
            i.id: Novelty.SEEN if first_poll else novelty.get(i.id, Novelty.NEW) for i in items
        }
        to_classify = [
            i
            for i in items
            if novel_of[i.id] is not Novelty.SEEN
            and not ((k := before.get(i.id)) and k[0] is novel_of[i.id])
        ]
        muter = await prepare(self.store, self.loaded, now, self.silences) if to_classify else None
        batch = []
        for item in items:
            novel = novel_of[item.id]
            known = before.get(item.id)
            found = (
                known[1]
                if known and known[0] is novel
                else verdicts(self.loaded, feed, item, novel, muter)
            )
            batch.append((item, novel, found))
        return batch


def verdicts(
    loaded: Loaded, feed: FeedConfig | None, item: FeedItem, novelty: Novelty, muter: Muter | None
) -> tuple[Verdict, ...]:
    """What each of the feed's watchlists says about `item`, labelled and muted."""
    if novelty is Novelty.SEEN or muter is None:
        return ()
    found = []
    action: list[str | None] = []  # the item's action kind, found once when it alerts
    for name, matcher in loaded.matchers.items():
        if feed is not None and feed.watchlists is not None and name not in feed.watchlists:
            continue
        result = matcher.classify(item, per_entity=loaded.config.limits.matches_per_entity)
        if result.alert and not action:
            action.append(item_action(item))
        labels = labels_of(
            matcher.watchlist,
            result,
            feed=(feed.label, feed.url) if feed is not None else (),
            action=action[0] if action else None,
        )
        names = entity_labels(matcher.watchlist, result)
        found.append(muter.verdict(result, labels, names))
    return tuple(found)
