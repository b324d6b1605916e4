"""From an article's text to ranked suggestions: places first, then actors, by salience."""

from __future__ import annotations

import re
from collections import Counter

from wirewatch.gazetteer import Gazetteer, Place
from wirewatch.gazetteer.names import ascii_latin, pick_aliases, unambiguous
from wirewatch.match.fold import fold_name
from wirewatch.suggest import _data, actors
from wirewatch.suggest.model import Suggestion, slug
from wirewatch.suggest.places import Hit, choose, country_weights, find_hits
from wirewatch.suggest.text import Article, read_article

ACTIVE = 0.5  # below this confidence an entity is written commented out
_BASE = {"gazetteer": 0.8, "initials": 0.75, "country": 0.85, "state": 0.8, "acronym": 0.95,
         "organisation": 0.85, "person": 0.8, "group": 0.7}  # fmt: skip


def propose(text: str, gazetteer: Gazetteer, *, scripts: tuple[str, ...] = ("latin", "arabic")
            ) -> list[Suggestion]:  # fmt: skip
    """Every entity worth proposing from `text`, most salient first within each kind."""
    article = read_article(text)
    noise = _data.noise()
    hits = find_hits(article, gazetteer, noise)
    cited = Counter({code: sum(actors.count(text, n) for n in names[:1])
                     for code, names in _data.state_names().items()})  # fmt: skip
    weights = country_weights(hits, cited)
    leading = weights.most_common(1)[0][0] if weights else ""
    orgs = actors.organisations(article)
    org_words = {fold_name(w) for s in orgs for n in s.names for w in n.split()}
    place_words = {fold_name(w) for h in hits if _local(h, leading) for w in h.text.split()}
    persons = actors.people(article, frozenset(place_words | org_words | noise))
    taken = {fold_name(n) for s in (*orgs, *persons) for n in s.names}
    taken |= {fold_name(w) for s in persons for w in s.label.split()}
    covered = _covered(text, [n for s in (*orgs, *persons) for n in s.names if len(n.split()) > 1])
    hits = [h for h in hits if article.tokens[h.first].start not in covered]
    chosen, forms = _choose(article, hits, weights, taken)
    states = actors.states(article, gazetteer, list(chosen.values()), leading)
    state_codes = {s.place.country for s in states if s.place}
    places = _places(gazetteer, chosen, forms, leading, state_codes, scripts)
    demonym = next(iter(_data.state_names().get(leading, ())), "")
    organs = actors.organs(article, demonym, [p.names[-1] for p in persons if len(p.names) > 1])
    found = _unique([*places, *orgs, *states, *organs, *persons])
    for suggestion in found:
        _weigh(article, suggestion)
    return sorted(found, key=lambda s: (s.kind != "place", -s.salience, s.first))


def _covered(text: str, names: list[str]) -> set[int]:
    """Offsets inside multi-word actor names ("Rapid" of "Rapid Support Forces")."""
    spots: set[int] = set()
    for name in names:
        for match in re.finditer(re.escape(name), text):
            spots.update(range(match.start(), match.end()))
    return spots


def _local(hit: Hit, leading: str) -> bool:
    return any(p.country == leading or p.kind == "country" for p in hit.places)


def _choose(
    article: Article, hits: list[Hit], weights: Counter[str], taken: set[str]
) -> tuple[dict[int, Place], dict[int, set[str]]]:
    """The places the hits stand for, by id, and the spellings the article used for each."""
    chosen: dict[int, Place] = {}
    forms: dict[int, set[str]] = {}
    for hit in hits:
        if fold_name(hit.text) in taken:
            continue  # a person's or an organisation's name ("Assad")
        following = article.tokens[hit.end].text.lower() if hit.end < len(article.tokens) else ""
        place = choose(hit, weights, following)
        if place is not None:
            chosen.setdefault(place.id, place)
            forms.setdefault(place.id, set()).add(hit.text)
    return chosen, forms


def _places(
    gazetteer: Gazetteer, chosen: dict[int, Place], spellings: dict[int, set[str]], leading: str,
    states: set[str], scripts: tuple[str, ...],
) -> list[Suggestion]:  # fmt: skip
    found: dict[int, Suggestion] = {}
    countries = (gazetteer.country(code) for code in states)
    capitals = {fold_name(c.capital) for c in countries if c is not None}
    for place in chosen.values():
        if place.id in found or (place.kind == "country" and place.country in states):
            continue
        if place.country != leading and fold_name(place.name) in capitals:
            continue  # a capital standing for its state ("Tehran")
        forms = sorted(spellings.get(place.id, {place.name}))
        label = forms[0]
        suggestion = Suggestion(
            id=slug(label if label.isascii() else ascii_latin(place.name)), kind="place",
            label=label,
            source="country" if place.kind == "country" else "gazetteer", names=[],
            place=place, area=gazetteer.area_of(place),
        )  # fmt: skip
        aliases = pick_aliases(place.name, place.names, scripts=scripts, like=forms)
        for name in (*forms, *unambiguous(gazetteer, place, aliases)):
            suggestion.add_name(name)
        suggestion.forms.update(forms)
        country = gazetteer.country(place.country)
        suggestion.country_name = country.name if country else place.country
        found[place.id] = suggestion
    return list(found.values())


def _unique(found: list[Suggestion]) -> list[Suggestion]:
    """One suggestion per id and per name: a later one that shares a name is dropped."""
    ids: Counter[str] = Counter()
    names: set[str] = set()
    kept = []
    for suggestion in found:
        folded = {fold_name(n) for n in suggestion.forms}
        if folded & names:
            continue
        names |= folded
        ids[suggestion.id] += 1
        if ids[suggestion.id] > 1:
            suggestion.id = f"{suggestion.id}_{ids[suggestion.id]}"
        kept.append(suggestion)
    return kept


def _weigh(article: Article, suggestion: Suggestion) -> None:
    pool = suggestion.forms if suggestion.kind == "place" else suggestion.names
    latin = sorted((n for n in pool if n.isascii()), key=len, reverse=True)
    flags = 0 if all(n.isupper() for n in latin) else re.IGNORECASE
    pattern = "|".join(re.escape(n) for n in latin) or re.escape(suggestion.label)
    found = re.finditer(rf"(?<![\w-])(?:{pattern})(?!\w)", article.text, flags)
    spots = [m for m in found if not _short_caps(m.group(0)) or m.group(0) in latin]
    suggestion.mentions = max(len(spots), 1)
    suggestion.first = spots[0].start() if spots else len(article.text)
    suggestion.in_title = suggestion.first < len(article.title)
    start, end = next(((a, b) for a, b in article.sentences if a <= suggestion.first < b + 1),
                      article.sentences[0] if article.sentences else (0, 0))  # fmt: skip
    suggestion.sentence = " ".join(article.text[start:end].split())
    lede = article.sentences[2][1] if len(article.sentences) > 2 else len(article.text)
    suggestion.salience = suggestion.mentions + 3 * suggestion.in_title + (suggestion.first < lede)
    suggestion.confidence = _confidence(article, suggestion)
    if suggestion.area is not None and not suggestion.note:
        suggestion.note = _area_hint(article.text, suggestion)


def _area_hint(text: str, suggestion: Suggestion) -> str:
    """When the article names the town's area ("Daraa province"), say how to watch all of it."""
    area = suggestion.area
    forms = "|".join(re.escape(f) for f in suggestion.forms)
    if area is None or not forms:
        return ""
    if not re.search(rf"\b(?:{forms}) (?:province|governorate|region|state)\b", text, re.I):
        return ""
    return (f"the article names its area too: to watch every town in it, add an entity with "
            f"iso3166: {area.code} and include: within")  # fmt: skip


def _short_caps(word: str) -> bool:
    return word.isupper() and len(word) <= 4


def _confidence(article: Article, suggestion: Suggestion) -> float:
    score = _BASE[suggestion.source]
    score += 0.1 if suggestion.mentions >= 3 else 0.0
    score += 0.05 if suggestion.in_title else 0.0
    if suggestion.mentions == 1 and not suggestion.in_title:
        score -= 0.2
    if suggestion.source == "state" and _only_as_seat(article.text, suggestion):
        score -= 0.3
        suggestion.note = 'named only as the seat of something ("UK-based")'
    if suggestion.note.startswith("the author"):
        score = 0.2
    return round(max(0.05, min(0.99, score)), 2)


def _only_as_seat(text: str, suggestion: Suggestion) -> bool:
    seats = sum(len(re.findall(rf"\b{re.escape(f)}-based\b", text)) for f in suggestion.forms)
    return seats >= suggestion.mentions
