"""The story stage of the pipeline: classified items become story members and decisions.

The same functions serve the live pipeline, the index warmed after a restart and
`wirewatch stories explain`, so that a member is built the same way on every path: its text,
the entities and matched names of every watchlist that applies to its feed, and the time it
reports (published, or when it was seen if it has no time or claims the future).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from wirewatch.config.cachedir import cache_dir
from wirewatch.loading import Loaded
from wirewatch.model import FeedItem, Match
from wirewatch.storage import StoryDecision, StoryMemberRecord, Verdict
from wirewatch.stories.events import attribution
from wirewatch.stories.index import StoryIndex
from wirewatch.stories.member import Member, item_text, new_story_id
from wirewatch.stories.places import DEFAULT_KM, Towns


def member_of(feed: str, item: FeedItem, matches: Iterable[Match], seen: datetime) -> Member:
    """The member an item of `feed`, seen at `seen`, makes with the matches found in it."""
    found = named = list(matches)
    at = item.published if item.published and item.published <= seen else seen
    credits = attribution(item.title)
    if credits:  # an actor named only in the credit line is the report's source
        parties = {m.entity for m in found if not any(_credited(m, span) for span in credits)}
        found = [m for m in found if m.entity in parties]
    return Member.of(
        feed,
        item.id,
        item_text(item.title, item.summary),
        at,
        dict.fromkeys(m.entity for m in found),
        dict.fromkeys(m.text for m in named),  # a source's name is no term either
        item.title,
        {m.entity for m in found if m.kind == "place"},
        {m.text for m in found if m.kind == "place"},
    )


def _credited(match: Match, span: tuple[int, int]) -> bool:
    return (
        match.kind == "actor"
        and match.field == "title"
        and span[0] <= match.start
        and match.end <= span[1]
    )


def stored_member(loaded: Loaded, record: StoryMemberRecord) -> Member:
    """A stored source as a member, classified again by the watchlists of its feed."""
    feed = next((f for f in loaded.config.feeds if f.key == record.item.feed), None)
    matches = [
        m
        for name, matcher in loaded.matchers.items()
        if feed is None or feed.watchlists is None or name in feed.watchlists
        for m in matcher.classify(record.item).matches
    ]
    return member_of(record.item.feed, record.item, matches, record.seen_at)


def decide_stories(
    index: StoryIndex,
    feed: str,
    alerting: Sequence[tuple[FeedItem, tuple[Verdict, ...]]],
    now: datetime,
) -> tuple[dict[str, StoryDecision], list[tuple[str, Member]]]:
    """The story of every alerting item of one batch, decided in published order (ties by
    id), each filed in `index` before the next is decided; returns the decisions by item id
    and what was filed (to undo it if the ingest fails)."""
    members = sorted(
        (
            member_of(feed, item, (m for v in verdicts for m in v.classification.matches), now)
            for item, verdicts in alerting
        ),
        key=lambda m: (m.at, m.item_id),
    )
    decisions: dict[str, StoryDecision] = {}
    added: list[tuple[str, Member]] = []
    for member in members:
        story_id = index.decide(member).story_id or new_story_id(feed, member.item_id)
        decisions[member.item_id] = StoryDecision(story_id, member.signature(), member.event.action)
        index.add(story_id, member)
        added.append((story_id, member))
    return decisions, added


def story_index(loaded: Loaded, *, early: bool = True) -> StoryIndex:
    """An empty index with the config's window and threshold and, unless `stories.far_km` is
    0, a locator for the countries the watchlists' places lie in (`early`: see `Towns`)."""
    stories = loaded.config.stories
    return StoryIndex(
        window=_window(loaded),
        threshold=stories.threshold,
        locator=_towns(loaded, early) if stories.far_km else None,
        far_km=stories.far_km or DEFAULT_KM,
    )


def _towns(loaded: Loaded, early: bool) -> Towns | None:
    """The towns of the countries the watchlists' places lie in (None without places)."""
    names = [
        name
        for matcher in loaded.matchers.values()
        for entity in matcher.watchlist.entities
        if entity.kind == "place"
        for name in entity.names
    ]
    return Towns(names, cache_dir(), early=early) if names else None


def replay(loaded: Loaded, records: Sequence[StoryMemberRecord]) -> StoryIndex:
    """An index holding `records` as the pipeline filed them, in the order they were seen."""
    index = story_index(loaded)
    for record in records:
        index.add(record.story_id, stored_member(loaded, record))
    return index


def _window(loaded: Loaded) -> timedelta:
    return timedelta(seconds=loaded.config.stories.window)
