"""Which town a name stands for inside an area: the town behind an `include: within` match.

A governorate entity with `include: within` matches the names of the towns inside it, and the
match is reported under the governorate. Payloads and the API then name the town too, with its
own GeoNames id and coordinates. Nothing of that is stored: the town is found again from the
name that matched (`Match.name`), among the area's towns, when an alert is shown or sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from wirewatch.config.cachedir import cache_dir
from wirewatch.gazetteer.index import Gazetteer, Place, index_path
from wirewatch.match.fold import fold_name

log = structlog.get_logger("wirewatch.gazetteer")


@dataclass(frozen=True, slots=True)
class Town:
    """A populated place of the gazetteer, as payloads and the API show it."""

    name: str
    geonames: int
    lat: float
    lon: float

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "geonames": self.geonames, "coordinates": [self.lat, self.lon]}


class TownFinder:
    """Finds the town of an area (ISO 3166-2 code) that a name names; answers are remembered.

    The index is opened for a lookup not made before, and closed after it, so a config without
    `include: within` never opens it and no connection outlives a reload. `open_gazetteer`
    returns None when there is no index: a send never waits for one to be built. A missing or
    unreadable index only leaves the town out; it never fails a delivery or a request.
    """

    def __init__(self, open_gazetteer: Callable[[], Gazetteer | None] | None = None) -> None:
        self._open = open_gazetteer or existing_index
        self._found: dict[tuple[str, str], Town | None] = {}

    def town(self, area_code: str, name: str) -> Town | None:
        """The most populous town inside `area_code` called `name`; None when the name is
        the area's own (one of its names) or no town of the area has it."""
        key = (area_code, fold_name(name))
        if key not in self._found:
            self._found[key] = self._look_up(area_code, name)
        return self._found[key]

    def _look_up(self, area_code: str, name: str) -> Town | None:
        try:
            gazetteer = self._open()
            if gazetteer is None:
                return None
            try:
                return _town_in(gazetteer, area_code, name)
            finally:
                gazetteer.close()
        except (sqlite3.Error, OSError) as e:
            log.warning("town_lookup_failed", area=area_code, error=f"{type(e).__name__}: {e}")
            return None


def existing_index() -> Gazetteer | None:
    """The gazetteer of the cache folder if its index is built, else None (never builds)."""
    path = index_path(cache_dir())
    return Gazetteer(path) if path.exists() else None


def _town_in(gazetteer: Gazetteer, area_code: str, name: str) -> Town | None:
    area = gazetteer.by_code(area_code)
    if area is None or fold_name(name) in {fold_name(n) for n in (area.name, *area.names)}:
        return None
    for place in gazetteer.lookup(name):
        if _inside(place, area) and place.lat is not None and place.lon is not None:
            return Town(place.name, place.id, round(place.lat, 5), round(place.lon, 5))
    return None


def _inside(place: Place, area: Place) -> bool:
    return place.kind == "city" and (place.country, place.admin1) == (area.country, area.admin1)
