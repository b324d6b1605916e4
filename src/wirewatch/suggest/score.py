"""How well a suggested watchlist covers an analyst's (the measure issue 17 names).

- recall: an analyst's entity is covered when a suggested entity shares one of its names,
  compared after folding;
- precision: the share of suggested entities that share a name with an entity of any of the
  analyst's lists (those an analyst would keep);
- arabic: the share of suggested places that came with a name in Arabic script.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wirewatch.gazetteer.spelling import script
from wirewatch.match.fold import fold_name
from wirewatch.match.watchlist import Entity, Watchlist


@dataclass(frozen=True, slots=True)
class Score:
    recall: float
    precision: float
    arabic: float
    missed: tuple[str, ...]  # analyst's entity ids not covered
    extra: tuple[str, ...]  # suggested entity ids no analyst list has


def score(suggested: Watchlist, analyst: Watchlist, others: Iterable[Watchlist] = ()) -> Score:
    ours = [(e, _names(e)) for e in suggested.entities]
    missed = [e.id for e in analyst.entities if not any(_names(e) & n for _, n in ours)]
    kept_names = set().union(*(_names(e) for w in (analyst, *others) for e in w.entities))
    extra = [e.id for e, names in ours if not names & kept_names]
    places = [e for e in suggested.entities if e.kind == "place"]
    arabic = [e for e in places if any(script(n) == "arabic" for n in e.names)]
    return Score(
        recall=1 - len(missed) / max(len(analyst.entities), 1),
        precision=1 - len(extra) / max(len(ours), 1),
        arabic=len(arabic) / max(len(places), 1),
        missed=tuple(missed),
        extra=tuple(extra),
    )


def _names(entity: Entity) -> set[str]:
    return {fold_name(n) for n in entity.names}
