"""Towns far apart: the gazetteer tells two reports of two towns apart (stories/places.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wirewatch.config.cachedir import cache_dir
from wirewatch.gazetteer.index import Gazetteer, open_gazetteer
from wirewatch.loading import Loaded, load_everything
from wirewatch.stories import places
from wirewatch.stories.grouping import story_index
from wirewatch.stories.index import StoryIndex
from wirewatch.stories.member import Member, item_text
from wirewatch.stories.places import Locator, distance, far_apart, watched_countries

T0 = datetime(2024, 12, 7, 8, tzinfo=UTC)
AZAZ = (36.59, 37.05)
IDLIB = (35.93, 36.63)


def test_distance_is_great_circle_kilometres() -> None:
    assert distance(AZAZ, AZAZ) == 0
    assert 80 < distance(AZAZ, IDLIB) < 90  # about 83 km


def test_far_apart_needs_towns_on_both_sides_and_none_near() -> None:
    near_azaz = (36.55, 37.0)
    assert far_apart(frozenset({AZAZ}), frozenset({IDLIB}))
    assert not far_apart(frozenset({AZAZ, IDLIB}), frozenset({near_azaz}))
    assert not far_apart(frozenset(), frozenset({IDLIB}))
    assert not far_apart(frozenset({AZAZ}), frozenset({IDLIB}), km=100)


def test_watched_countries_follow_most_places_and_their_neighbours(gazetteer: Gazetteer) -> None:
    """Nawa is also the spelling of a big Japanese town: one vote of nine is not enough."""
    names = ["Homs", "Hama", "Aleppo", "Idlib", "Daraa", "Deir ez-Zor", "Raqqa", "Azaz", "Nawa"]
    countries = watched_countries(gazetteer, names)
    assert {"SY", "TR", "LB", "IQ", "JO"} <= countries
    assert "JP" not in countries


def test_a_locator_finds_towns_but_not_capitals_or_places_elsewhere(gazetteer: Gazetteer) -> None:
    locator = Locator(gazetteer, {"SY", "TR"})
    assert len(locator.spots(["Azaz", "إعزاز"])) == 1  # one town, two scripts
    assert not locator.spots(["Damascus", "Ankara"])  # capitals name governments too
    assert not locator.spots(["Carlton", "Riyadh", "government"])  # elsewhere, or no town


def member(item_id: str, title: str, minutes: int) -> Member:
    at = T0 + timedelta(minutes=minutes)
    return Member.of(
        f"outlet-{item_id}", item_id, item_text(title, ""), at, ("aleppo",), title=title
    )


@pytest.mark.parametrize(("with_towns", "same_story"), [(True, False), (False, True)])
def test_two_towns_far_apart_are_two_events(
    gazetteer: Gazetteer, with_towns: bool, same_story: bool
) -> None:
    """The same strike on a hospital, told of Azaz and of Idlib an hour apart: with the
    gazetteer two stories; without it the words alone join them (the test's control)."""
    locator = Locator(gazetteer, {"SY", "TR"}) if with_towns else None
    index = StoryIndex(locator=locator)
    first = member("a", "Air strike hits children's hospital in Azaz, Aleppo province", 0)
    index.add("story-a", first)
    second = member("b", "Air strike hits children's hospital in Idlib, Aleppo province", 60)
    decision = index.decide(second)
    assert (decision.story_id == "story-a") is same_story
    if with_towns:
        assert "km apart" in index.compare(second, first).veto  # type: ignore[operator]


def test_a_town_and_its_arabic_name_stay_one_event(gazetteer: Gazetteer) -> None:
    index = StoryIndex(locator=Locator(gazetteer, {"SY", "TR"}))
    index.add("story-a", member("a", "Air strike hits children's hospital in Azaz", 0))
    arabic = member("b", "قصف صاروخي على مستشفى للأطفال في مدينة إعزاز", 30)
    assert index.compare(arabic, index.members("story-a")[0]).veto is None


def _loaded(tmp_path: Path, far_km: float) -> Loaded:
    (tmp_path / "w.yaml").write_text(
        "name: w\nentities:\n"
        "  - {id: homs, kind: place, names: [Homs]}\n"
        "  - {id: hama, kind: place, names: [Hama]}\n",
        encoding="utf-8",
    )
    (tmp_path / "c.yaml").write_text(
        f"watchlists: [w.yaml]\nstories: {{far_km: {far_km}}}\n", encoding="utf-8"
    )
    return load_everything(tmp_path / "c.yaml")


def test_the_index_locates_towns_in_the_watched_countries(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    index = story_index(_loaded(tmp_path, 60))
    assert index.locator is not None and "SY" in index.locator.countries


def test_far_km_zero_turns_the_towns_off(tmp_path: Path) -> None:
    assert story_index(_loaded(tmp_path, 0)).locator is None


def test_without_a_gazetteer_grouping_goes_on_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cache folder that cannot hold the gazetteer's index: one warning, no towns."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(blocked))
    index = story_index(_loaded(tmp_path, 60))
    assert index.locator is not None
    assert not index.locator.spots(["Azaz"]) and not index.locator.spots(["Idlib"])
    assert capsys.readouterr().out.count("stories_without_places") == 1


def test_a_missing_index_is_built_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gazetteer: Gazetteer
) -> None:
    """Making the index does not hold up whoever builds the story index (a daemon starting,
    which must stay quick to stop); the first report that needs towns waits for it."""
    cache = tmp_path / "cache"
    cache.mkdir()
    session = cache_dir()  # where the session's index already is
    built = threading.Event()

    finished: list[bool] = []

    def slow_open(folder: Path) -> Gazetteer:
        built.wait(timeout=10)
        finished.append(True)
        return open_gazetteer(session)

    monkeypatch.setattr(places, "open_gazetteer", slow_open)
    towns = places.Towns(["Homs", "Hama"], cache)
    assert [] == finished  # it returned while the "build" still waits
    built.set()
    assert "SY" in towns.countries
    assert towns.spots(["Azaz"])


def test_a_spelling_the_gazetteer_lacks_finds_the_town_by_its_consonants(
    gazetteer: Gazetteer,
) -> None:
    """GeoNames writes Ma'arrat an Nu'man; reports write Maarat al-Numan. A skeleton that is
    too short to tell towns apart ("Waer": r) finds nothing."""
    assert not gazetteer.lookup("Maarat al-Numan")
    locator = Locator(gazetteer, {"SY", "TR"})
    [spot] = locator.spots(["Maarat al-Numan"])
    assert distance(spot, IDLIB) < 50
    assert not locator.spots(["Waer"])
    assert not locator.spots(["maarat al-numan"])  # a stemmed, folded word is no name as written


def test_an_arabic_report_finds_the_english_story_by_its_town(gazetteer: Gazetteer) -> None:
    """إعزاز and Azaz share no letter, no entity and no word, but they are one town: the
    Arabic report of the strike finds the story and joins it; without towns it does not."""
    english = Member.of(
        "wire", "a", item_text("Missiles hit children's hospital in Azaz", ""), T0, title="x"
    )
    arabic_at = T0 + timedelta(minutes=30)
    arabic = Member.of(
        "desk", "b", item_text("قصف صاروخي على مستشفى للأطفال في إعزاز", ""), arabic_at
    )
    with_towns = StoryIndex(locator=Locator(gazetteer, {"SY", "TR"}))
    without = StoryIndex()
    for index in (with_towns, without):
        index.add("two", Member.of("tv", "c", item_text("Minister meets envoy", ""), T0))
        index.add("azaz", english)
    decision = with_towns.decide(arabic)
    assert "azaz" == decision.story_id
    assert any(t.startswith("town ") for e in decision.evidence for t in e.terms)
    assert without.decide(arabic).story_id is None


def test_one_cycle_builds_a_missing_index_only_when_a_report_needs_towns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gazetteer: Gazetteer
) -> None:
    """`early=False` (`poll --once`): making the locator starts no build, so a cycle whose
    reports need no towns spends nothing on it; the first report that does builds it then."""
    cache = tmp_path / "cache"
    cache.mkdir()
    session = cache_dir()
    opened: list[Path] = []

    def counted_open(folder: Path) -> Gazetteer:
        opened.append(folder)
        return open_gazetteer(session)

    monkeypatch.setattr(places, "open_gazetteer", counted_open)
    towns = places.Towns(["Homs", "Hama"], cache, early=False)
    threads = [t.name for t in threading.enumerate()]
    before = list(opened)
    assert ([], False) == (before, "gazetteer-index" in threads)
    assert towns.spots(["Azaz"])
    assert [cache] == opened
