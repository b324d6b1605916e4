"""Evidence that names no rare word: the only story of a kind of action (a quake, a vote or a
release that no other story of those days reports names its event, StoryIndex.alone_with), and
two watched entities in common (who and where)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wirewatch.stories.actions import BACKGROUND
from wirewatch.stories.evidence import OTHER_ACTORS
from wirewatch.stories.index import StoryIndex
from wirewatch.stories.member import Member, item_text

T0 = datetime(2023, 3, 1, 4, tzinfo=UTC)


PLACES = ("hama", "damascus")


def report(outlet: str, item_id: str, title: str, hours: float, *entities: str) -> Member:
    at = T0 + timedelta(hours=hours)
    places = [e for e in entities if e in PLACES]
    named = [e.title() for e in places]  # the text that named them, as the classifier reports it
    text = item_text(title, "")
    return Member.of(outlet, item_id, text, at, entities, named, title=title, places=places)


FELT = report("tv", "a", "Strong earthquake felt across the border region", 0)
TOLL = report("wire", "b", "Buildings flattened as tremor shakes northern towns", 2, "turkey")


def test_the_only_quake_of_those_days_takes_a_report_that_names_nothing_in_common() -> None:
    index = StoryIndex()
    index.add("quake", FELT)
    assert ("quake", "quake") == (FELT.event.action, TOLL.event.action)
    assert not (FELT.event.entities | FELT.event.terms) & (TOLL.event.entities | TOLL.event.terms)
    decision = index.decide(TOLL)
    assert "quake" == decision.story_id
    assert all(e.alone for e in decision.evidence)


def test_a_second_story_of_the_same_kind_ends_the_rule() -> None:
    """With two quake stories open (another quake far away that week), a report naming
    neither story's names is no longer known to be either one."""
    index = StoryIndex()
    index.add("quake", FELT)
    index.add("other", report("desk", "c", "Magnitude 6 quake hits Peru coast", -10, "peru"))
    assert index.decide(TOLL).story_id is None


def test_the_everyday_of_a_war_is_no_name() -> None:
    """Two strikes of one day with nothing named in common stay apart, however quiet."""
    index = StoryIndex()
    first = report("tv", "a", "Drone strike hits a market", 0)
    second = report("wire", "b", "Warplanes bomb a bakery", 2)
    assert first.event.action == second.event.action == "attack"
    assert "attack" in BACKGROUND
    index.add("strike", first)
    assert index.decide(second).story_id is None


def test_the_rule_keeps_its_vetoes() -> None:
    """The only election story of those days still keeps out a report of other figures."""
    index = StoryIndex()
    index.add("vote", report("wire", "a", "President re-elected with 88.7 percent", 0))
    other = report("tv", "b", "Landslide: incumbent wins 95.1 percent of the vote", 3)
    assert "vote" == other.event.action
    decision = index.decide(other)
    assert decision.story_id is None
    assert "different figures" in [reason for _, _, reason in decision.near_misses]


def test_two_watched_entities_in_common_are_two_kinds_of_evidence() -> None:
    """Who and where: reports naming the same actor and the same watched place join with no
    action, figure or wording in common; one watched name alone does not join them."""
    index = StoryIndex()
    index.add(
        "flag", report("tv", "a", "HTS flag raised over the citadel of Hama", 0, "hts", "hama")
    )
    both = report(
        "wire", "b", "Residents describe a calm night as HTS holds Hama", 3, "hts", "hama"
    )
    one = report("desk", "c", "Residents describe a calm night in Hama", 3, "hama")
    assert None is both.event.action is one.event.action
    decision = index.decide(both)
    assert "flag" == decision.story_id
    assert ("hama", "hts") == decision.evidence[0].entities
    assert index.decide(one).story_id is None


def test_other_actors_sharing_only_a_place_do_not_count() -> None:
    """Two meetings in Damascus on one day, one with the UN envoy and one with a Russian
    delegation, are two events; a report naming the envoy again joins the envoy's story.
    (On a desk this busy: a quiet desk, with one story in 8 hours, may still join them.)"""
    index = StoryIndex()
    index.add("quake", FELT)
    index.add(
        "envoy", report("wire", "a", "UN envoy meets ministers in Damascus", 0, "un", "damascus")
    )
    russian = report(
        "tv", "b", "Russian delegation holds talks in Damascus", 2, "russia", "damascus"
    )
    again = report("desk", "c", "UN envoy ends talks in Damascus", 4, "un", "damascus")
    assert russian.event.action == again.event.action == "meet"
    decision = index.decide(russian)
    assert decision.story_id is None
    assert [OTHER_ACTORS] == [reason for _, _, reason in decision.near_misses]
    assert "envoy" == index.decide(again).story_id
