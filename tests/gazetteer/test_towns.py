"""The town behind an `include: within` match, and the located places of an alert as
payloads and /api/alerts show them (coordinates, admin path, towns named)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml

from tests.conftest import LOCAL_FETCH, REPO
from tests.notify.scenarios import make_alert
from wirewatch import app
from wirewatch.demo import FeedServer, SampleItem
from wirewatch.gazetteer import Gazetteer
from wirewatch.gazetteer.resolve import resolve_places
from wirewatch.gazetteer.towns import TownFinder
from wirewatch.geojson import Places
from wirewatch.loading import load_everything
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import parse_watchlist
from wirewatch.model import Alert, FeedItem

WATCHLIST = """\
name: homs
entities:
  - {id: homs_governorate, kind: place, iso3166: SY-HI, include: within,
     names: [Homs governorate]}
  - {id: homs, kind: place, geonames: 169577, names: [Homs]}
  - {id: hts, kind: actor, names: [HTS]}
"""


def finder(gazetteer: Gazetteer) -> TownFinder:
    """A finder over the session's index (it opens and closes its own connection)."""
    return TownFinder(lambda: Gazetteer(gazetteer.path))


def test_a_town_of_the_area_is_found_by_the_name_that_matched(gazetteer: Gazetteer) -> None:
    town = finder(gazetteer).town("SY-HI", "Rastan")
    assert town is not None
    assert "rastan" in town.name.lower()
    assert (34.9, 36.7) == (pytest.approx(town.lat, abs=0.1), pytest.approx(town.lon, abs=0.1))
    place = gazetteer.get(town.geonames)
    assert place is not None and "SY-HI" == gazetteer.area_of(place).code  # type: ignore[union-attr]


def test_no_town_for_a_place_outside_the_area_or_the_areas_own_name(
    gazetteer: Gazetteer,
) -> None:
    towns = finder(gazetteer)
    assert None is towns.town("SY-HI", "Aleppo")  # a city, but in SY-HL
    assert None is towns.town("SY-HI", "Homs governorate")  # the analyst's name: no town
    assert None is towns.town("SY-XX", "Rastan")  # no such area


def test_answers_are_remembered_and_the_index_is_closed_after_each_lookup(
    gazetteer: Gazetteer,
) -> None:
    opened: list[Gazetteer] = []

    def open_one() -> Gazetteer:
        opened.append(Gazetteer(gazetteer.path))
        return opened[-1]

    towns = TownFinder(open_one)
    first = towns.town("SY-HI", "Rastan")
    assert first == towns.town("SY-HI", "rastan")  # folded: the same question
    assert 1 == len(opened)
    with pytest.raises(Exception, match="closed"):
        opened[0].get(169577)


def _alert(gazetteer: Gazetteer, title: str) -> tuple[Alert, Places]:
    raw = yaml.safe_load(WATCHLIST)
    watchlist = resolve_places(parse_watchlist(raw, source="t.yaml"), source="t.yaml",
                               gazetteer=gazetteer)  # fmt: skip
    matcher = Matcher(watchlist)
    result = matcher.classify(FeedItem(id="1", title=title))
    return make_alert(watchlist="homs", matches=result.matches), Places.of({"homs": matcher})


def test_an_alert_lists_its_located_places_with_the_towns_it_named(
    gazetteer: Gazetteer,
) -> None:
    alert, places = _alert(gazetteer, "HTS shells Rastan and Talbiseh, north of Homs")
    located = {p["entity"]: p for p in places.located(alert)}
    assert ["homs_governorate", "homs"] == list(located)  # HTS is not a place
    area = located["homs_governorate"]
    assert ["Syria", "Hims"] == area["admin"]
    assert ["Ar Rastan", "Tallbīsah"] == [t["name"] for t in area["towns"]]  # GeoNames' names
    assert "towns" not in located["homs"]
    assert ["Syria", "Hims", "Homs"] == located["homs"]["admin"]


WATCHED_FEED = [SampleItem("w1", "Shelling in Rastan, north of Homs", "", "https://a.example/1")]


@pytest.mark.integration
async def test_api_alerts_shows_places_and_the_rolled_up_town(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    """The daemon's /api/alerts: the governorate with the town Rastan, and Homs itself."""
    (tmp_path / "homs.yaml").write_text(WATCHLIST, encoding="utf-8")
    server = FeedServer().start()
    url = server.add_feed("wire", items=WATCHED_FEED)
    config = tmp_path / "wirewatch.yaml"
    config.write_text(json.dumps({
        "data_dir": str(tmp_path / "data"), "watchlists": ["homs.yaml"],
        "feeds": [{"url": url, "name": "wire", "backfill": True}],
        "fetch": {**LOCAL_FETCH, "parse_workers": 0},
    }), encoding="utf-8")  # fmt: skip
    built = app.build(load_everything(config))
    await built.open()
    try:
        port = await built.http.start("127.0.0.1", 0)
        await built.pipeline.poll(built.feeds[0])
        async with httpx.AsyncClient() as client:
            got = await client.get(f"http://127.0.0.1:{port}/api/alerts?since=1h")
    finally:
        server.stop()
        await built.aclose()
    [alert] = got.json()["alerts"]
    spec = yaml.safe_load((REPO / "docs/desk-openapi.yaml").read_text(encoding="utf-8"))
    documented = {"$ref": "#/components/schemas/Alert", "components": spec["components"]}
    jsonschema.Draft202012Validator(documented).validate(alert)
    places = {p["entity"]: p for p in alert["places"]}
    [town] = places["homs_governorate"]["towns"]
    assert "rastan" in town["name"].lower() and town["geonames"] > 0
    assert 34.7 == pytest.approx(places["homs"]["coordinates"][0], abs=0.05)


def test_without_an_index_no_town_is_found_and_none_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send never waits half a minute for the index to be built: no index, no town."""
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(tmp_path))
    assert None is TownFinder().town("SY-HI", "Rastan")
    assert [] == list(tmp_path.iterdir())


def test_a_broken_index_leaves_the_town_out(tmp_path: Path) -> None:
    broken = tmp_path / "gazetteer.sqlite3"
    broken.write_bytes(b"not a database " * 1000)
    assert None is TownFinder(lambda: Gazetteer(broken)).town("SY-HI", "Rastan")


def test_a_half_built_index_left_by_a_stopped_process_is_removed(tmp_path: Path) -> None:
    """A daemon stopped while it built the index leaves a `.building` file: the next build
    removes it once it is an hour old, and leaves a fresh one (another build) alone."""
    import os
    import time

    from wirewatch.gazetteer.index import _remove_abandoned

    old, fresh = tmp_path / "a.building", tmp_path / "b.building"
    for path in (old, fresh):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    _remove_abandoned(tmp_path)
    assert (old.exists(), fresh.exists()) == (False, True)
