"""Building the gazetteer's SQLite index from the packages' data (about 20 s, done once)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

from wirewatch.gazetteer import _sources
from wirewatch.gazetteer.spelling import keys, plain_arabic, script

SCHEMA = """
CREATE TABLE places (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, country TEXT NOT NULL,
  admin1 TEXT NOT NULL, code TEXT, lat REAL, lon REAL, population INTEGER NOT NULL,
  names TEXT NOT NULL, capital TEXT, neighbours TEXT
);
CREATE TABLE names (key TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
INDEXES = """
CREATE INDEX names_key ON names (key);
CREATE INDEX places_admin ON places (country, admin1);
CREATE INDEX places_code ON places (code);
"""
SEP = "\x1f"
_PLACE = "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def build(db: sqlite3.Connection, stamp: str) -> None:
    """Fill an empty database: cities, countries and first-level areas, with their names."""
    db.executescript(SCHEMA)
    for city in _sources.cities():
        names = _usable([city.name, *city.names])
        db.execute(
            _PLACE,
            (
                city.id,
                "city",
                city.name,
                city.country,
                city.admin1,
                None,
                city.lat,
                city.lon,
                city.population,
                SEP.join(names),
                None,
                None,
            ),
        )
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", _name_rows(city.id, names))
    for country in _sources.countries():
        db.execute(
            _PLACE,
            (
                country.id,
                "country",
                country.name,
                country.code,
                "",
                country.code,
                None,
                None,
                0,
                SEP.join(country.names),
                country.capital,
                ",".join(country.neighbours),
            ),
        )
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", _name_rows(country.id, country.names))
    db.executescript(INDEXES)
    _add_areas(db)
    db.execute("INSERT INTO meta VALUES ('stamp', ?)", (stamp,))


def _usable(names: Iterable[str]) -> list[str]:
    """Latin and Arabic names only: the index serves English and Arabic text."""
    kept: dict[str, None] = {}
    for name in names:
        kind = script(name)
        if kind == "arabic":
            kept[plain_arabic(name)] = None
        elif kind == "latin":
            kept[name] = None
    return list(kept)


def _name_rows(place: int, names: Iterable[str]) -> Iterator[tuple[str, int, str]]:
    seen: set[str] = set()
    for name in names:
        for key in keys(name):
            if key not in seen:
                seen.add(key)
                yield key, place, name


def _add_areas(db: sqlite3.Connection) -> None:
    """First-level areas, each tied to GeoNames' admin1 code through its seat city.

    GeoNames numbers admin areas by its own codes (Homs governorate is SY 11) while ISO 3166-2
    names them (SY-HI Ḩimş): an area whose name is also a city of its country gets that city's
    admin1 code, the most populous such city winning. Other areas (Rif Dimashq) keep no towns.
    """
    next_id = -1
    for area in _sources.areas():
        seat = _seat(db, area.country, area.name)
        admin1, lat, lon = (seat[1], seat[2], seat[3]) if seat else ("", None, None)
        names = [area.name]
        db.execute(
            _PLACE,
            (
                next_id,
                "area",
                area.name,
                area.country,
                admin1,
                area.code,
                lat,
                lon,
                0,
                SEP.join(names),
                area.kind,
                None,
            ),
        )
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", _name_rows(next_id, names))
        next_id -= 1


def _seat(db: sqlite3.Connection, country: str, name: str) -> tuple[int, str, float, float] | None:
    marks = ",".join("?" * len(keys(name)))
    row = db.execute(
        f"SELECT p.id, p.admin1, p.lat, p.lon FROM names n JOIN places p ON p.id = n.id "
        f"WHERE n.key IN ({marks}) AND p.country = ? AND p.kind = 'city' "
        f"ORDER BY p.population DESC LIMIT 1",
        (*keys(name), country),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), float(row[2]), float(row[3]))
