"""The story stage on hand-written reports from four outlets (tests/fixtures/stories/desk.jsonl):
captures, withdrawals, strikes in two cities on one day, talks, Arabic-only reports."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist
from wirewatch.model import FeedItem
from wirewatch.storage import Verdict
from wirewatch.stories.grouping import decide_stories, member_of
from wirewatch.stories.index import StoryIndex

ROOT = Path(__file__).resolve().parent.parent
DESK = ROOT / "tests" / "fixtures" / "stories" / "desk.jsonl"
T0 = datetime(2024, 12, 7, tzinfo=UTC)
SEEN = T0 + timedelta(days=2)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlist(ROOT / "config" / "watchlists" / "syria.yaml"))


def rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in DESK.read_text(encoding="utf-8").splitlines()]


def item(row: dict[str, str]) -> FeedItem:
    published = T0 + timedelta(minutes=int(row["minutes"]))
    return FeedItem(row["id"], row["feed"], row["title"], row["summary"], published=published)


def group(matcher: Matcher, order: list[dict[str, str]]) -> dict[str, str]:
    """Each report's story, fed to one index feed by feed in `order`."""
    index = StoryIndex()
    stories: dict[str, str] = {}
    for feed, grouped in itertools.groupby(order, key=lambda r: r["feed"]):
        batch = []
        for row in grouped:
            classified = matcher.classify(item(row))
            batch.append((item(row), (Verdict(classified, ()),)))
        decisions, _ = decide_stories(index, feed, batch, SEEN)
        stories |= {item_id: d.story_id for item_id, d in decisions.items()}
    return stories


def partition(stories: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for item_id, story in stories.items():
        groups.setdefault(story, set()).add(item_id)
    return {frozenset(g) for g in groups.values()}


def labelled() -> set[frozenset[str]]:
    return partition({r["id"]: r["story"] for r in rows()})


def test_every_desk_report_alerts(matcher: Matcher) -> None:
    """The fixture is usable: each report names a tracked place or actor."""
    assert [] == [r["id"] for r in rows() if not matcher.classify(item(r)).alert]


def test_desk_reports_group_exactly_by_event(matcher: Matcher) -> None:
    """In published order, every report joins its event's story and no other: the Arabic
    reports join the English ones, the withdrawal from Hama stays apart from the entry, the
    strike in Damascus stays apart from the strike in Daraa the same afternoon."""
    ordered = sorted(rows(), key=lambda r: (int(r["minutes"]), r["id"]))
    singles = [[r] for r in ordered]  # one report per batch, as feeds answer one by one
    stories: dict[str, str] = {}
    index = StoryIndex()
    for [row] in singles:
        batch = [(item(row), (Verdict(matcher.classify(item(row)), ()),))]
        decisions, _ = decide_stories(index, row["feed"], batch, SEEN)
        stories |= {k: d.story_id for k, d in decisions.items()}
    assert labelled() == partition(stories)


def test_grouping_does_not_depend_on_which_outlet_answers_first(matcher: Matcher) -> None:
    """Whole outlets ingested in any order give the same stories."""
    by_feed = {
        feed: [r for r in rows() if r["feed"] == feed]
        for feed in ("wire", "arabic", "tv", "monitor")
    }
    results = set()
    for seed in range(6):
        feeds = sorted(by_feed)
        random.Random(seed).shuffle(feeds)
        order = [r for feed in feeds for r in by_feed[feed]]
        results.add(frozenset(partition(group(matcher, order))))
    assert [frozenset(labelled())] == list(results)


def test_a_batch_is_decided_in_published_order(matcher: Matcher) -> None:
    """Within one batch the order of the feed's entries does not matter (newest first or
    oldest first): items are decided by published time, ties by id."""
    wire = [r for r in rows() if r["feed"] == "wire"]
    forward = group(matcher, wire)
    backward = group(matcher, list(reversed(wire)))
    assert partition(forward) == partition(backward)


def test_member_time_is_published_or_seen_when_it_claims_the_future() -> None:
    """A report dated after the moment it was seen counts as seen then (live and warmed alike)."""
    future = FeedItem("x", "wire", "Rebels seize Hama", published=SEEN + timedelta(hours=3))
    dated = FeedItem("y", "wire", "Rebels seize Hama", published=T0)
    assert (SEEN, T0) == (
        member_of("wire", future, (), SEEN).at,
        member_of("wire", dated, (), SEEN).at,
    )


def test_an_actor_named_only_as_the_source_is_no_party(matcher: Matcher) -> None:
    """A monitor's name in a credit line ("SOHR: ...", "... - SOHR") says who reports, not what
    happened: two unrelated bulletins of one monitor do not share an entity through it, while
    the same monitor named inside the sentence still counts."""
    credited = FeedItem("a", "monitor", "SOHR: convoy turned back at a checkpoint", published=T0)
    tail = FeedItem("b", "monitor", "Market strike toll rises to 11 - SOHR", published=T0)
    inside = FeedItem("c", "wire", "Turkey accuses SOHR of bias", published=T0)
    entities = [
        member_of(i.feed, i, matcher.classify(i).matches, SEEN).event.entities
        for i in (credited, tail, inside)
    ]
    assert ["sohr" in e for e in entities] == [False, False, True]
    assert (
        "sohr"
        not in member_of("monitor", credited, matcher.classify(credited).matches, SEEN).event.terms
    )


def test_a_place_named_as_a_dateline_still_counts(matcher: Matcher) -> None:
    """ "Homs: ..." names where it happened: a place before the colon is kept."""
    dated = FeedItem("d", "tv", "Homs: families leave the old city", published=T0)
    member = member_of("tv", dated, matcher.classify(dated).matches, SEEN)
    assert "homs" in member.event.entities and "homs" in member.event.places
