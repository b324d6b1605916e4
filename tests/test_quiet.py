"""A quiet desk and one outlet's reports (stories/quiet.py, the same-outlet rule in evidence.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wirewatch.stories.index import StoryIndex
from wirewatch.stories.member import Member, item_text
from wirewatch.stories.quiet import QUIET, QUIET_REASON, Timeline

T0 = datetime(2024, 12, 7, 8, tzinfo=UTC)


def report(
    outlet: str, item_id: str, title: str, hours: float, entities: tuple[str, ...] = ()
) -> Member:
    at = T0 + timedelta(hours=hours)
    return Member.of(outlet, item_id, item_text(title, ""), at, entities, title=title)


CAPTURE = report("wire", "a", "Rebels seize the town of Saraqeb", 0, ("hts",))
THE_ARMY = report("tv", "c", "HTS columns overrun checkpoints", 3, ("hts",))


def busy_yesterday(index: StoryIndex) -> None:
    """Thirty captures by HTS the day before, each its own story: on such days "HTS" and a
    capture say little about which event a report is about."""
    for n in range(30):
        town = f"Town{chr(65 + n % 26)}{n}"
        index.add(f"old-{n}", report(f"o{n}", f"o{n}", f"HTS seizes {town}", -20, ("hts",)))


def test_the_only_story_around_takes_a_report_of_the_same_action() -> None:
    """A report that shares an actor and the kind of action, too common that week to join on
    their own, joins the one story of those hours; with a second story running, the same
    report opens a story of its own."""
    index = StoryIndex()
    busy_yesterday(index)
    index.add("capture", CAPTURE)
    decision = index.decide(THE_ARMY)
    assert ("capture", QUIET_REASON) == (decision.story_id, decision.reason)
    index.add("other", report("desk", "d", "Minister meets envoy in Geneva", 4, ("un",)))
    assert index.decide(THE_ARMY).story_id is None


def test_the_quiet_rule_needs_a_name_and_the_action_or_a_figure() -> None:
    """The same kind of action alone is not enough, however quiet the desk."""
    index = StoryIndex()
    busy_yesterday(index)
    index.add("capture", CAPTURE)
    unnamed = report("tv", "c", "Army columns overrun checkpoints", 3)
    assert "control" == unnamed.event.action
    assert index.decide(unnamed).story_id is None


def test_the_quiet_rule_keeps_its_vetoes() -> None:
    """An opposite action stays out of the only story around, as it would of any."""
    index = StoryIndex()
    index.add("capture", CAPTURE)
    retreat = report("tv", "e", "Fighters withdraw from Saraqeb", 3, ("hts",))
    assert index.decide(retreat).story_id is None


def test_reports_more_than_the_quiet_hours_away_are_not_counted() -> None:
    index = StoryIndex()
    index.add("capture", CAPTURE)
    later = report("tv", "c", "HTS columns overrun checkpoints", 9, ("hts",))
    busy_yesterday(index)
    assert QUIET < timedelta(hours=9)
    assert index.decide(later).story_id is None


def test_an_outlet_files_one_report_of_an_event_and_updates_it() -> None:
    """A second report of the same outlet in other words is another event; the same words
    (an update of its report) join it."""
    index = StoryIndex()
    index.add("capture", CAPTURE)
    other_words = report("wire", "f", "HTS fighters capture Saraqeb crossroads", 1, ("hts",))
    assert "another report of the same outlet" == index.compare(other_words, CAPTURE).veto
    assert index.decide(other_words).story_id is None
    update = report("wire", "g", "Rebels seize the town of Saraqeb, monitor says", 1, ("hts",))
    assert "capture" == index.decide(update).story_id
    elsewhere = report("tv", "h", "HTS fighters capture Saraqeb crossroads", 1, ("hts",))
    assert "capture" == index.decide(elsewhere).story_id


def test_the_timeline_names_the_only_story_of_a_span() -> None:
    timeline = Timeline()
    timeline.add(CAPTURE, "one")
    timeline.add(report("x", "y", "later", 20), "two")
    assert "one" == timeline.only_story(T0 + timedelta(hours=1))
    assert timeline.only_story(T0 + timedelta(hours=10), within=timedelta(hours=12)) is None
    assert timeline.only_story(T0 + timedelta(hours=10), within=timedelta(hours=1)) is None
    timeline.remove(CAPTURE, "one")
    assert timeline.only_story(T0 + timedelta(hours=1)) is None
