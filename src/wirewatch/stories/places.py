"""Where the towns a report names lie, so that two reports of towns far apart stay two events.

Hospitals hit in Azaz and in Maarat al-Numan on the same day are two stories, however alike
their words. A `Locator` finds the towns among the names a report uses (the watchlist's places
and the rare names of `events`) in the gazetteer, and `far_apart` says when no town of one
report lies within `km` of a town of the other.

Only towns count, and only where the watchlists watch: the countries of their places and the
neighbours of those countries. A capital is left out, because "Damascus" and "Ankara" name
governments as often as places, and so is a city of more than a million (its name is often its
province's: "Azaz, Aleppo province") and a name that stands for a bigger town elsewhere. A
report that names no such town is never far from anything.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import structlog

from wirewatch.errors import WirewatchError
from wirewatch.gazetteer.index import Gazetteer, Place, index_path, open_gazetteer
from wirewatch.stories.member import Member

Spot = tuple[float, float]
"""Latitude and longitude, in degrees."""

DEFAULT_KM = 60.0
_MIN_NAME = 4
_EARTH_KM = 6371.0
_VOTE_SHARE = 5
_BIG = 1_000_000  # a bigger city often names its province too ("Aleppo province")


log = structlog.get_logger("wirewatch.grouping")


class Locates(Protocol):
    def spots(self, names: Iterable[str]) -> frozenset[Spot]: ...


class Locator:
    """The towns of a set of names, within the countries a watch covers."""

    def __init__(self, gazetteer: Gazetteer, countries: Iterable[str]) -> None:
        self._gazetteer = gazetteer
        self.countries = frozenset(countries)
        self._capitals = {
            code: (country.capital or "").casefold()
            for code in self.countries
            if (country := gazetteer.country(code))
        }
        self._spot = lru_cache(maxsize=65536)(self._locate)

    def spots(self, names: Iterable[str]) -> frozenset[Spot]:
        """Where the towns among `names` lie (names that are no such town are ignored)."""
        return frozenset(s for s in map(self._spot, names) if s is not None)

    def _locate(self, name: str) -> Spot | None:
        if len(name) < _MIN_NAME:
            return None
        towns = [p for p in self._gazetteer.lookup(name) if p.kind == "city"]
        if towns:
            town: Place | None = max(towns, key=lambda p: p.population)
        elif name[:1].isupper():  # a name as written, in a spelling the gazetteer lacks
            town = self._gazetteer.spelled_like(name, self.countries)
        else:  # a stemmed word ("jarablu"): its consonants prove nothing
            return None
        if town is None:
            return None
        if town.country not in self.countries or town.population > _BIG or self._capital(town):
            return None
        return (town.lat, town.lon) if town.lat is not None and town.lon is not None else None

    def _capital(self, town: Place) -> bool:
        capital = self._capitals.get(town.country, "")
        return bool(capital) and capital in {n.casefold() for n in (town.name, *town.names)}


class Towns:
    """The locator of the watched places' countries, ready without delaying start-up.

    The gazetteer's index is built once into the cache folder (about 20 s); when it is not
    there yet, a background thread builds it, so that a daemon starts (and stops) at once.
    The first report that needs towns waits for it, so every report is grouped the same way.
    With `early=False` (one `poll --once` cycle, which may never need towns and would abandon
    a build at exit) nothing is built until that first report, which builds it then.
    If the gazetteer cannot be built or opened, that is said once in the log and reports are
    grouped without towns.
    """

    def __init__(self, place_names: Sequence[str], cache: Path, *, early: bool = True) -> None:
        self._names = tuple(place_names)
        self._cache = cache
        self._built = threading.Event()
        self._lock = threading.Lock()
        self._opened = False
        self._locator: Locator | None = None
        if early and not index_path(cache).exists():
            log.info("gazetteer_building", note="once, into the cache folder: about 20 s")
            threading.Thread(target=self._build, name="gazetteer-index", daemon=True).start()
        else:
            self._built.set()  # there already, or built by `_locate` once a report needs towns

    def spots(self, names: Iterable[str]) -> frozenset[Spot]:
        locator = self._open()
        return locator.spots(names) if locator else frozenset()

    @property
    def countries(self) -> frozenset[str]:
        locator = self._open()
        return locator.countries if locator else frozenset()

    def _build(self) -> None:
        try:
            open_gazetteer(self._cache).close()
        except WirewatchError:
            pass  # said once, by the first `_open`, which meets the same error
        finally:
            self._built.set()

    def _open(self) -> Locator | None:
        with self._lock:
            if not self._opened:
                self._opened = True
                self._built.wait()
                self._locator = self._locate()
            return self._locator

    def _locate(self) -> Locator | None:
        try:
            gazetteer = open_gazetteer(self._cache)
        except WirewatchError as e:
            log.warning("stories_without_places", error=str(e))
            return None
        countries = watched_countries(gazetteer, self._names)
        return Locator(gazetteer, countries) if countries else None


_Located = tuple[frozenset[Spot], frozenset[str]]
"""A member's towns: where they lie, and as index keys."""


class Whereabouts:
    """Where the towns of an index's members lie, and the towns as keys ("town 36.587,37.046",
    whatever script named them), looked up once a member: kept while it is filed, and for the
    one member being decided. Without a locator, no member names a town."""

    def __init__(self, locator: Locates | None, far_km: float = DEFAULT_KM) -> None:
        self.locator, self.far_km = locator, far_km
        self._filed: dict[str, _Located] = {}
        self._deciding: tuple[Member, _Located] | None = None

    def file(self, member: Member) -> None:
        self._filed[member.key] = self._located(member)

    def forget(self, member: Member) -> None:
        self._filed.pop(member.key, None)

    def spots(self, member: Member) -> frozenset[Spot]:
        return self._located(member)[0]

    def keys(self, member: Member) -> frozenset[str]:
        return self._located(member)[1]

    def shared(self, a: Member, b: Member) -> frozenset[str]:
        return self.keys(a) & self.keys(b)

    def far(self, a: Member, b: Member) -> str | None:
        """Why the two are two events when every town one names lies more than `far_km`
        from every town the other names (None otherwise)."""
        if far_apart(self.spots(a), self.spots(b), self.far_km):
            return f"towns more than {self.far_km:g} km apart"
        return None

    def _located(self, member: Member) -> _Located:
        found = self._filed.get(member.key)
        if found is not None:
            return found
        if self._deciding is None or self._deciding[0] is not member:
            spots = self.locator.spots(member.where) if self.locator else frozenset()
            keys = frozenset(f"town {lat:.3f},{lon:.3f}" for lat, lon in spots)
            self._deciding = (member, (spots, keys))
        return self._deciding[1]


def watched_countries(gazetteer: Gazetteer, place_names: Iterable[str]) -> frozenset[str]:
    """The countries most of the watched places lie in (the most populous place of each name
    votes for its country; a country needs a fifth of the votes, so that one name that is
    also a big town far away does not count), and their neighbours."""
    votes: Counter[str] = Counter()
    for name in place_names:
        places = gazetteer.lookup(name)
        if places:
            votes[max(places, key=lambda p: p.population).country] += 1
    total = sum(votes.values())
    found = {code for code, n in votes.items() if n * _VOTE_SHARE >= total}
    for code in list(found):
        country = gazetteer.country(code)
        found.update(country.neighbours if country else ())
    return frozenset(found)


def far_apart(a: frozenset[Spot], b: frozenset[Spot], km: float = DEFAULT_KM) -> bool:
    """Whether both reports name towns and none of one lies within `km` of one of the other."""
    return bool(a and b) and min(distance(x, y) for x in a for y in b) > km


def distance(a: Spot, b: Spot) -> float:
    """Great-circle distance in kilometres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_KM * math.asin(math.sqrt(h))
