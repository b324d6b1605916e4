"""Alerts at their places, as a GeoJSON FeatureCollection (RFC 7946) any map tool can show.

A place entity has coordinates when the watchlist gives them or names a gazetteer place
(`geonames:` or `iso3166:`). Each alert becomes one Point feature per such place it names;
alerts that name no place with coordinates are left out. Coordinates are [longitude, latitude].

`Places` is the same knowledge for payloads and /api/alerts: each located entity's point, and
for an `include: within` area the towns its matches named (`gazetteer.towns`). All of it comes
from the loaded watchlists and the gazetteer, none from the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wirewatch.gazetteer.towns import Town, TownFinder
    from wirewatch.match.classifier import Matcher
    from wirewatch.model import Alert


@dataclass(frozen=True, slots=True)
class PlacePoint:
    entity: str
    name: str
    lat: float
    lon: float
    admin: tuple[str, ...]
    area: str = ""
    """The ISO 3166-2 code of an `include: within` area, whose matches may name its towns."""

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
                area = (e.iso3166 or "") if e.include == "within" else ""
                point = PlacePoint(e.id, e.names[0], *e.coordinates, e.admin, area)
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


class Places:
    """Where the place entities of the loaded watchlists are, and which town of an area a
    match named; what payloads and /api/alerts add to an alert."""

    def __init__(self, index: PlaceIndex, towns: TownFinder | None = None) -> None:
        self._index = index
        self._towns = towns

    @classmethod
    def of(cls, matchers: Mapping[str, Matcher]) -> Places:
        index = place_index(matchers)
        if not any(point.area for point in index.values()):
            return cls(index)
        from wirewatch.gazetteer.towns import TownFinder

        return cls(index, TownFinder())

    @property
    def index(self) -> PlaceIndex:
        return self._index

    def point(self, watchlist: str, entity: str) -> PlacePoint | None:
        return self._index.get((watchlist, entity))

    def town(self, point: PlacePoint, alias: str) -> Town | None:
        """The town inside `point`'s area that the entity's name `alias` is; None for a
        place that is not an `include: within` area or a name that is the area's own."""
        if not point.area or self._towns is None:
            return None
        return self._towns.town(point.area, alias)

    def located(self, alert: Alert) -> list[dict[str, Any]]:
        """The `places` of an alert in /api/alerts: each located entity once, in order of
        first match, with `towns` listing the towns of an area that the item named."""
        found: dict[str, dict[str, Any]] = {}
        for m in alert.matches:
            point = self.point(alert.watchlist, m.entity)
            if point is None:
                continue
            place = found.setdefault(m.entity, point.as_json())
            town = self.town(point, m.name)
            if town is not None:
                towns = place.setdefault("towns", [])
                if town.as_json() not in towns:
                    towns.append(town.as_json())
        return list(found.values())


NO_PLACES = Places({})
