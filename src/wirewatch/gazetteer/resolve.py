"""Gazetteer-backed places in a watchlist: ids resolved, aliases and towns added at load.

```yaml
  - id: homs_governorate
    kind: place
    iso3166: SY-HI        # or geonames: 169577 for a town
    aliases: gazetteer    # add the gazetteer's vetted alternate names
    include: within       # also match the towns inside it, reported under this entity
    names: [Homs governorate]
```

Each such entity gets its coordinates and admin path (country, area) unless the file gives
them. Towns added by `include: within` skip names that another entity of the watchlist has (the
analyst's own entity for that town wins), short names, and names that are common words.
"""

from __future__ import annotations

from wirewatch.config.cachedir import cache_dir
from wirewatch.errors import WatchlistError
from wirewatch.gazetteer.index import Gazetteer, Place, open_gazetteer
from wirewatch.gazetteer.names import ascii_latin, pick_aliases, unambiguous
from wirewatch.match.fold import fold_name
from wirewatch.match.watchlist import Entity, Watchlist

_TOWN_ALIASES = {"latin": 4, "other": 2}


def resolve_places(watchlist: Watchlist, *, source: str, gazetteer: Gazetteer | None = None
                   ) -> Watchlist:  # fmt: skip
    """`watchlist` with its gazetteer places filled in; unknown ids are named as problems."""
    own = gazetteer or open_gazetteer(cache_dir())
    try:
        taken = {fold_name(n) for e in watchlist.entities for n in e.names}
        problems: list[str] = []
        entities = [_resolve(own, e, index, taken, problems)
                    for index, e in enumerate(watchlist.entities)]  # fmt: skip
    finally:
        if gazetteer is None:
            own.close()
    if problems:
        raise WatchlistError(source, problems)
    return watchlist.model_copy(update={"entities": tuple(entities)})


def _resolve(gazetteer: Gazetteer, entity: Entity, index: int, taken: set[str],
             problems: list[str]) -> Entity:  # fmt: skip
    if not (entity.geonames or entity.iso3166):
        return entity
    place = gazetteer.get(entity.geonames) if entity.geonames else None
    if entity.iso3166:
        place = gazetteer.by_code(entity.iso3166)
    if place is None:
        key = f"geonames {entity.geonames}" if entity.geonames else f"iso3166 {entity.iso3166}"
        where = f"entities[{index}] (id {entity.id!r}).{key.split()[0]}"
        problems.append(f"{where}: no place with {key} in the gazetteer")
        return entity
    names = list(entity.names)
    if entity.aliases == "gazetteer":
        names += unambiguous(gazetteer, place, pick_aliases(place.name, place.names))
    if entity.include == "within":
        names += _towns(gazetteer, place, taken)
    update: dict[str, object] = {"names": _unique(names)}
    if entity.coordinates is None and place.lat is not None and place.lon is not None:
        update["coordinates"] = (round(place.lat, 5), round(place.lon, 5))
    if not entity.admin:
        update["admin"] = admin_path(gazetteer, place)
    return entity.model_copy(update=update)


def admin_path(gazetteer: Gazetteer, place: Place) -> tuple[str, ...]:
    """Country, then area, then the place itself (for a town or an area)."""
    country = gazetteer.country(place.country)
    path = [country.name if country else place.country]
    area = gazetteer.area_of(place)
    if area is not None:
        path.append(ascii_latin(area.name))
    if place.kind != "country":
        path.append(ascii_latin(place.name))
    return tuple(path)


def _towns(gazetteer: Gazetteer, area: Place, taken: set[str]) -> list[str]:
    from wirewatch.match.forms import COMMON_WORDS as common

    names: list[str] = []
    for town in gazetteer.within(area):
        picked = pick_aliases(town.name, town.names, latin=_TOWN_ALIASES["latin"],
                              other=_TOWN_ALIASES["other"])  # fmt: skip
        for name in picked:
            key = fold_name(name)
            if len(key) >= 4 and key not in taken and key not in common:
                names.append(name)
    return names


def _unique(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(fold_name(name), name)
    return tuple(seen.values())
