"""Gazetteer-backed places in watchlists: ids resolved, aliases and the towns within added."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import wirewatch
from wirewatch.errors import WatchlistError
from wirewatch.gazetteer import Gazetteer
from wirewatch.gazetteer.resolve import resolve_places
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist, parse_watchlist
from wirewatch.model import FeedItem

GOVERNORATE = {
    "name": "homs",
    "entities": [
        {"id": "homs_governorate", "kind": "place", "iso3166": "SY-HI", "include": "within",
         "names": ["Homs governorate"]},
        {"id": "homs", "kind": "place", "geonames": 169577, "aliases": "gazetteer",
         "names": ["Homs"]},
    ],
}  # fmt: skip


def _resolved(raw: dict[str, object], gazetteer: Gazetteer) -> Matcher:
    watchlist = parse_watchlist(raw, source="test.yaml")
    return Matcher(resolve_places(watchlist, source="test.yaml", gazetteer=gazetteer))


def test_a_governorate_catches_its_towns_reported_as_the_town(gazetteer: Gazetteer) -> None:
    """Rastan lies in Homs governorate: the match names Rastan, under the governorate."""
    matcher = _resolved(GOVERNORATE, gazetteer)
    result = matcher.classify(FeedItem(id="1", title="Shelling in Rastan, north of Homs"))
    assert [("homs_governorate", "Rastan"), ("homs", "Homs")] == [
        (m.entity, m.text) for m in result.matches
    ]


def test_gazetteer_places_get_aliases_coordinates_and_admin_path(gazetteer: Gazetteer) -> None:
    matcher = _resolved(GOVERNORATE, gazetteer)
    homs = {e.id: e for e in matcher.watchlist.entities}["homs"]
    assert "حمص" in homs.names and "Hims" in homs.names
    assert homs.coordinates is not None
    assert 34.7 == pytest.approx(homs.coordinates[0], abs=0.05)
    assert ("Syria", "Hims", "Homs") == homs.admin


def test_coordinates_written_in_the_file_are_kept(gazetteer: Gazetteer) -> None:
    raw = {"name": "x", "entities": [{"id": "homs", "kind": "place", "geonames": 169577,
                                      "coordinates": [1.5, 2.5], "names": ["Homs"]}]}  # fmt: skip
    assert (1.5, 2.5) == _resolved(raw, gazetteer).watchlist.entities[0].coordinates


def test_an_unknown_id_is_named_with_its_entity(gazetteer: Gazetteer) -> None:
    raw = {"name": "x", "entities": [{"id": "nowhere", "kind": "place", "geonames": 1,
                                      "names": ["Nowhere"]}]}  # fmt: skip
    with pytest.raises(WatchlistError) as caught:
        _resolved(raw, gazetteer)
    assert ["entities[0] (id 'nowhere').geonames: no place with geonames 1 in the gazetteer"] == (
        caught.value.problems
    )


def test_load_watchlist_resolves_places_only_when_the_file_names_them(
    gazetteer: Gazetteer, tmp_path: Path
) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        "name: w\nentities:\n  - {id: nawa, kind: place, geonames: 166365, names: [Nawa]}\n"
    )
    assert load_watchlist(path).entities[0].coordinates is not None


@pytest.mark.parametrize(
    ("entity", "problem"),
    [
        ({"kind": "actor", "geonames": 1}, "for kind: place only"),
        ({"kind": "place", "aliases": "gazetteer"}, "needs geonames or iso3166"),
        ({"kind": "place", "geonames": 1, "include": "within"}, "needs iso3166 of an area"),
        ({"kind": "place", "iso3166": "SY", "include": "within"}, "needs iso3166 of an area"),
        ({"kind": "place", "geonames": 1, "iso3166": "SY"}, "not both"),
    ],
)
def test_gazetteer_keys_are_checked_at_load(entity: dict[str, object], problem: str) -> None:
    raw = {"name": "x", "entities": [{"id": "a", "names": ["A place"], **entity}]}
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(raw, source="x.yaml")
    assert problem in str(caught.value)


def test_check_config_shows_how_many_names_each_gazetteer_place_expanded_to(
    gazetteer: Gazetteer, tmp_path: Path
) -> None:
    (tmp_path / "watchlists").mkdir()
    (tmp_path / "watchlists" / "homs.yaml").write_text(
        "name: homs\nentities:\n"
        "  - {id: homs_gov, kind: place, iso3166: SY-HI, include: within, names: [Homs area]}\n"
    )
    (tmp_path / "wirewatch.yaml").write_text("watchlists: [watchlists/homs.yaml]\n")
    done = wirewatch("check-config", "--config", str(tmp_path / "wirewatch.yaml"), timeout=120)
    assert 0 == done.returncode, done.stderr
    [line] = [x for x in done.stdout.splitlines() if "gazetteer:" in x]
    count = int(line.rsplit(": ", 1)[1].split()[0])
    assert line.startswith("  gazetteer: homs/homs_gov (iso3166 SY-HI, with the towns within): ")
    assert count > 20  # the governorate's own name plus its towns' names
