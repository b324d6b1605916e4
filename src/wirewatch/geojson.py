"""Alerts at their places, as a GeoJSON FeatureCollection (RFC 7946) any map tool can show.

A place entity has coordinates when the watchlist gives them or names a gazetteer place
(`geonames:` or `iso3166:`). Each alert becomes one Point feature per such place it names;
alerts that name no place with coordinates are left out. Coordinates are [longitude, latitude].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wirewatch.match.classifier import Matcher


@dataclass(frozen=True, slots=True)
class PlacePoint:
    entity: str
    name: str
    lat: float
    lon: float
    admin: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "name": self.name, "coordinates": [self.lat, self.lon],
                "admin": list(self.admin)}  # fmt: skip


PlaceIndex = Mapping[tuple[str, str], PlacePoint]


def place_index(matchers: Mapping[str, Matcher]) -> dict[tuple[str, str], PlacePoint]:
    """(watchlist, entity id) to its point, for every place entity with coordinates."""
    index = {}
    for name, matcher in matchers.items():
        for e in matcher.watchlist.entities:
            if e.kind == "place" and e.coordinates is not None:
                point = PlacePoint(e.id, e.names[0], *e.coordinates, e.admin)
                index[(name, e.id)] = point
    return index


def alert_places(alert: Mapping[str, Any], index: PlaceIndex) -> list[PlacePoint]:
    """The points of an alert as `alerts --json` and /api/alerts show it."""
    watchlist = str(alert.get("watchlist", ""))
    found = (index.get((watchlist, str(entity))) for entity in alert.get("entities", ()))
    return [point for point in found if point is not None]


def feature_collection(alerts: Iterable[Mapping[str, Any]], index: PlaceIndex) -> dict[str, Any]:
    features = []
    for alert in alerts:
        for point in alert_places(alert, index):
            features.append(
                {
                    "type": "Feature",
                    "id": f"{alert.get('id')}:{point.entity}",
                    "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                    "properties": {
                        "alert_id": alert.get("id"),
                        "watchlist": alert.get("watchlist"),
                        "created_at": alert.get("created_at"),
                        "title": alert.get("title"),
                        "url": alert.get("url"),
                        "entity": point.entity,
                        "place": point.name,
                        "admin": list(point.admin),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}
