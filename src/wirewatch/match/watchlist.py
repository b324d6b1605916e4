"""The watchlist file (a contract): which places and actors to track, and when an item alerts.

```yaml
name: syria
description: Places and actors of the December 2024 offensive
alert: {min_entities: 1, require_kinds: [], fields: [title, summary, content]}
entities:
  - id: hama
    kind: place
    names: [Hama, Hamah, "حماة"]
    exclude: ["Hama Prefecture"]
```
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wirewatch.config.validation import describe_errors
from wirewatch.config.yamlfile import read_file
from wirewatch.errors import WatchlistError
from wirewatch.match.fold import fold_name
from wirewatch.model import Classification
from wirewatch.severity import Severity

_HINT = "config/watchlists/syria.yaml"
MAX_NAME = 300
"""Characters in a name or exclude phrase: the automaton's build time grows with the square of
a name's length (a 20,000-character name took 1.5 s), and no name of a place or actor is long."""
FieldName = Literal["title", "summary", "content"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entity(_Strict):
    """One tracked place or actor, under every name it goes by."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    kind: Literal["place", "actor"]
    names: tuple[str, ...] = Field(min_length=1)
    label: str = ""
    """How alerts name the entity (default: its first name)."""
    exclude: tuple[str, ...] = ()
    match_case: tuple[str, ...] = ()
    description: str = ""
    severity: Severity | None = None
    tags: tuple[str, ...] = ()
    surname: bool = True
    """An actor's person-like name also matches by its surname alone (Pedersen)."""
    plural: bool = True
    """An actor's name also matches with an English plural s (Russians)."""
    # Gazetteer-backed places (see wirewatch.gazetteer and README "Places from the gazetteer").
    geonames: int | None = Field(default=None, gt=0)
    iso3166: str | None = Field(default=None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    aliases: Literal["gazetteer"] | None = None
    include: Literal["within"] | None = None
    coordinates: tuple[float, float] | None = None  # latitude, longitude; else from gazetteer
    admin: tuple[str, ...] = ()  # country, area...; else from the gazetteer

    @field_validator("names", "exclude", "match_case")
    @classmethod
    def _names_fold_to_something(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for index, name in enumerate(names):
            if not name.strip():
                raise ValueError(f"[{index}] is empty")
            if len(name) > MAX_NAME:
                raise ValueError(
                    f"[{index}] is {len(name):,} characters long; at most {MAX_NAME} are allowed "
                    "(a name, not a text)"
                )
            if not any(c.isalnum() for c in fold_name(name)):
                raise ValueError(f"[{index}] {name!r} folds to nothing (no letter or digit)")
        return names

    @model_validator(mode="after")
    def _match_case_names_are_names(self) -> Entity:
        unknown = [n for n in self.match_case if n not in self.names]
        if unknown:
            raise ValueError(f"match_case lists {unknown!r}, which are not among names")
        return self

    @model_validator(mode="after")
    def _gazetteer_keys_fit(self) -> Entity:
        if (self.geonames or self.iso3166 or self.aliases or self.include) and self.kind != "place":
            raise ValueError("geonames, iso3166, aliases and include are for kind: place only")
        if self.geonames and self.iso3166:
            raise ValueError("give geonames (a town) or iso3166 (a country or area), not both")
        if self.aliases and not (self.geonames or self.iso3166):
            raise ValueError("aliases: gazetteer needs geonames or iso3166")
        if self.include and not (self.iso3166 and "-" in self.iso3166):
            raise ValueError("include: within needs iso3166 of an area, such as SY-HI")
        return self

    @property
    def display_name(self) -> str:
        return self.label.strip() or self.names[0]


class AlertRule(_Strict):
    """When an item's matches raise an alert (default: any entity in any field)."""

    fields: tuple[FieldName, ...] = ("title", "summary", "content")
    min_entities: int = Field(default=1, ge=1)
    require_kinds: tuple[Literal["place", "actor"], ...] = ()


class Watchlist(_Strict):
    """A named set of entities plus the rule for alerting."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    description: str = ""
    severity: Severity | None = None
    tags: tuple[str, ...] = ()
    alert: AlertRule = AlertRule()
    entities: tuple[Entity, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Watchlist:
        dupes = [i for i, n in Counter(e.id for e in self.entities).items() if n > 1]
        if dupes:
            raise ValueError(f"duplicate entity id(s): {', '.join(sorted(dupes))}")
        return self


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist file; every problem is named with its place in the file."""
    path = Path(path)
    text, raw = read_file(path, error=WatchlistError)
    try:
        watchlist = parse_watchlist(raw, source=str(path))
    except WatchlistError as e:
        from wirewatch.config.positions import locate

        raise WatchlistError(e.source, e.problems, locate(e.source, text, e.problems)) from None
    if any(e.geonames or e.iso3166 for e in watchlist.entities):
        from wirewatch.gazetteer.resolve import resolve_places  # only then: it opens a database

        watchlist = resolve_places(watchlist, source=str(path))
    return watchlist


def parse_watchlist(raw: Any, *, source: str) -> Watchlist:
    if not isinstance(raw, dict):
        raise WatchlistError(source, ["expected a mapping with name and entities"])
    try:
        return Watchlist.model_validate(raw)
    except ValidationError as e:
        raise WatchlistError(source, describe_errors(e, raw, hint=_HINT, model=Watchlist)) from None


def entity_labels(watchlist: Watchlist, result: Classification) -> tuple[tuple[str, str], ...]:
    """(entity id, display name) of every entity `result` matched, for its alert."""
    by_id = {e.id: e for e in watchlist.entities}
    return tuple((e, by_id[e].display_name) for e in result.entities if e in by_id)
