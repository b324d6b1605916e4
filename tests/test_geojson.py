"""Alerts at their places as GeoJSON: one Point per alert and place, [longitude, latitude]."""

from __future__ import annotations

from wirewatch.geojson import PlacePoint, feature_collection

INDEX = {("syria", "homs"): PlacePoint("homs", "Homs", 34.72, 36.72, ("Syria", "Hims", "Homs"))}


def test_an_alert_naming_a_place_becomes_a_point_feature() -> None:
    alerts = [{"id": "a1", "watchlist": "syria", "entities": ["homs", "hts"], "title": "T"}]
    found = feature_collection(alerts, INDEX)
    assert "FeatureCollection" == found["type"]
    [feature] = found["features"]
    assert {"type": "Point", "coordinates": [36.72, 34.72]} == feature["geometry"]
    assert ("a1", "homs", ["Syria", "Hims", "Homs"]) == (
        feature["properties"]["alert_id"],
        feature["properties"]["entity"],
        feature["properties"]["admin"],
    )


def test_alerts_without_a_located_place_are_left_out() -> None:
    alerts = [
        {"id": "a2", "watchlist": "syria", "entities": ["hts"]},
        {"id": "a3", "watchlist": "other", "entities": ["homs"]},  # another watchlist's homs
    ]
    assert [] == feature_collection(alerts, INDEX)["features"]
