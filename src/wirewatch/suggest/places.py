"""Places of an article, found in the gazetteer and chosen by the article's country context.

A name like Nawa or Homs belongs to towns in several countries. The article's countries are
weighed first (its country names and demonyms, and the countries of its most populous matches),
then each name goes to a place in the leading country, else to a country itself, else to a
large town of another country the article names.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from wirewatch.gazetteer import Gazetteer, Place
from wirewatch.match.fold import fold_name
from wirewatch.suggest.text import Article, bare, capitalised

MAX_WORDS = 5
_AREA_WORDS = frozenset(["province", "governorate", "region", "state", "district"])
_ARABIC_PREFIX = re.compile("^[وفبلك](?=[\u0621-\u064a]{3})")
_OTHER_COUNTRY_MIN = 20_000  # inhabitants, for a town outside the article's main country


@dataclass(frozen=True, slots=True)
class Hit:
    first: int  # token index
    end: int
    text: str
    places: tuple[Place, ...]


def find_hits(article: Article, gazetteer: Gazetteer, noise: frozenset[str]) -> list[Hit]:
    """Every token run that names a gazetteer place, longest first, never overlapping."""
    hits: list[Hit] = []
    tokens, index = article.tokens, 0
    while index < len(tokens):
        hit = None
        if capitalised(tokens[index]):
            hit = _longest(article, gazetteer, noise, index)
        if hit:
            hits.append(hit)
            index = hit.end
        else:
            index += 1
    return hits


def _longest(article: Article, gazetteer: Gazetteer, noise: frozenset[str], at: int) -> Hit | None:
    tokens = article.tokens
    for end in range(min(len(tokens), at + MAX_WORDS), at, -1):
        run = tokens[at:end]
        if not capitalised(run[-1]) or any(t.sentence != run[0].sentence for t in run):
            continue
        if any(t.suffix for t in run[:-1]):
            continue
        text = bare(article.text[run[0].start : run[-1].start + len(run[-1].text)])
        if fold_name(text) in noise or not _plausible(article, text, run[0].first, end - at):
            continue
        if len(text) < 3 or (end - at == 1 and text.isupper() and len(text) <= 4):
            continue
        places = tuple(gazetteer.lookup(text))
        if not places and _ARABIC_PREFIX.match(text):
            text = text[1:]  # ودرعا is "and Daraa", بحمص "in Homs"
            places = tuple(gazetteer.lookup(text))
        if places:
            return Hit(at, end, text, places)
    return None


def _plausible(article: Article, text: str, sentence_start: bool, words: int) -> bool:
    """A lone capitalised word that opens a sentence and is also written in lowercase is not
    a name ("Images have...", "Footage released...")."""
    if words > 1 or not sentence_start:
        return True
    return re.search(rf"\b{re.escape(text.lower())}\b", article.text) is None


def country_weights(hits: list[Hit], demonym_countries: Counter[str]) -> Counter[str]:
    weights: Counter[str] = Counter(demonym_countries)
    for hit in hits:
        top = hit.places[0]
        weights[top.country] += 2 if top.kind == "country" else 1
    return weights


def choose(hit: Hit, weights: Counter[str], next_word: str) -> Place | None:
    """The place a hit stands for, or None when it is no place of this article."""
    if not weights:
        return None
    leading = weights.most_common(1)[0][0]
    places = list(hit.places)
    if next_word in _AREA_WORDS:
        places.sort(key=lambda p: p.kind != "area")
    for place in places:
        if place.country == leading and place.kind != "country":
            return place
    for place in places:
        if place.kind == "country":
            return place
    for place in places:
        if weights[place.country] >= 2 and place.population >= _OTHER_COUNTRY_MIN:
            return place
    return None
