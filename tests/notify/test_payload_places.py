"""Located places in the JSON payload: a place entity's coordinates and admin path, and the
town an `include: within` match named, taken from the loaded watchlists (nothing stored)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.gazetteer.test_towns import WATCHLIST as GOVERNORATE
from tests.notify.scenarios import make_alert, make_message
from tests.notify.test_payload_cap import HOOK, bodies_sent
from wirewatch.gazetteer import Gazetteer
from wirewatch.gazetteer.resolve import resolve_places
from wirewatch.geojson import Places
from wirewatch.loading import load_everything
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import parse_watchlist
from wirewatch.model import FeedItem
from wirewatch.notify import payload
from wirewatch.notify.payload import Payloads

LOCATED = """\
name: syria
entities:
  - {id: homs, kind: place, names: [Homs], coordinates: [34.724, 36.726], admin: [Syria, Homs]}
  - {id: assad, kind: actor, names: [Bashar al-Assad, Assad]}
  - {id: hts, kind: actor, names: [HTS]}
"""


def validate(body: Any) -> None:
    jsonschema.Draft202012Validator(payload.load_schema()).validate(body)


def located(text: str = LOCATED) -> Places:
    watchlist = parse_watchlist(yaml.safe_load(text), source="syria.yaml")
    return Places.of({watchlist.name: Matcher(watchlist)})


def test_a_located_place_carries_its_coordinates_and_admin_path() -> None:
    body = Payloads(places=located()).build(make_message())
    entities = {e["id"]: e for e in body["entities"]}
    assert ([34.724, 36.726], ["Syria", "Homs"]) == (
        entities["homs"]["coordinates"],
        entities["homs"]["admin"],
    )
    assert "coordinates" not in entities["assad"] and "admin" not in entities["assad"]
    validate(body)


def test_places_are_looked_up_in_the_alerts_own_watchlist() -> None:
    """Another watchlist's `homs` says nothing about this alert's."""
    body = Payloads(places=located()).build(make_message(make_alert(watchlist="other")))
    assert all("coordinates" not in e for e in body["entities"])


def test_a_digest_locates_the_places_of_each_alert() -> None:
    from tests.notify.scenarios import make_digest

    body = Payloads(places=located()).build(make_digest(2))
    for alert in body["alerts"]:
        [homs] = [e for e in alert["entities"] if e["id"] == "homs"]
        assert [34.724, 36.726] == homs["coordinates"]
    validate(body)


def test_a_match_of_an_area_names_its_town(gazetteer: Gazetteer) -> None:
    """A match of "Rastan" under homs_governorate (include: within): the match says which town,
    with its GeoNames id and coordinates; Homs itself matched as Homs and names no town."""
    raw = yaml.safe_load(GOVERNORATE)
    watchlist = resolve_places(parse_watchlist(raw, source="t.yaml"), source="t.yaml",
                               gazetteer=gazetteer)  # fmt: skip
    matcher = Matcher(watchlist)
    result = matcher.classify(FeedItem(id="1", title="Shelling in Rastan, north of Homs"))
    alert = make_alert(watchlist="homs", matches=result.matches, labels=())
    body = Payloads(places=Places.of({"homs": matcher})).build(make_message(alert))
    area, homs = body["entities"]
    [rastan] = area["matches"]
    assert ("Rastan", "Ar Rastan") == (rastan["text"], rastan["town"]["name"])
    assert 34.9 == pytest.approx(rastan["town"]["coordinates"][0], abs=0.1)
    assert ["Syria", "Hims"] == area["admin"]
    assert "town" not in homs["matches"][0]
    assert ["Syria", "Hims", "Homs"] == homs["admin"]
    validate(body)


@pytest.mark.parametrize(
    "entity",
    [
        {"coordinates": [134.7, 36.7], "admin": ["Syria"]},  # latitude out of range
        {"coordinates": [34.7], "admin": ["Syria"]},  # one number
        {"coordinates": [34.7, 36.7]},  # coordinates without their admin path
    ],
)
def test_the_schema_rejects_broken_coordinates(entity: dict[str, Any]) -> None:
    body = payload.build(make_message())
    body["entities"][0] |= entity
    with pytest.raises(jsonschema.ValidationError):
        validate(body)


def test_the_daemons_webhook_carries_the_places_of_its_watchlists(tmp_path: Path) -> None:
    """parts.build_notifiers gives the json format the loaded watchlists' places."""
    (tmp_path / "syria.yaml").write_text(LOCATED, encoding="utf-8")
    config = tmp_path / "wirewatch.yaml"
    config.write_text(json.dumps({"data_dir": str(tmp_path / "data"),
                                  "watchlists": ["syria.yaml"], "notifiers": [HOOK]}))  # fmt: skip
    [body] = bodies_sent(load_everything(config), make_message())
    [homs] = [e for e in json.loads(body)["entities"] if e["id"] == "homs"]
    assert [34.724, 36.726] == homs["coordinates"]
