"""Actors of an article: organisations by acronym pairs or by name, people, and states."""

from __future__ import annotations

import re
from collections import Counter

from wirewatch.gazetteer import Gazetteer, Place
from wirewatch.match.fold import fold_name
from wirewatch.suggest import _data
from wirewatch.suggest.acronyms import pairs
from wirewatch.suggest.model import Suggestion, slug
from wirewatch.suggest.people import find_people
from wirewatch.suggest.text import Article

_STATE_VERBS = frozenset(
    "has have had is was urged said says launched warned sent denied accused called backed "
    "supported supports condemned announced struck deployed".split()
)
_ORGAN = r"(?:government|regime|army|armed forces|troops|defen[cs]e ministry|foreign ministry)"


def organisations(article: Article) -> list[Suggestion]:
    """Acronym pairs of the article, and the well-known organisations it names."""
    found: list[Suggestion] = []
    for long_form, acronym in pairs(article.text):
        found.append(_actor(article, long_form, "acronym", [long_form, acronym]))
    taken = {fold_name(n) for s in found for n in s.names}
    for org_id, names in _data.organisations():
        seen = [n for n in names if n.isascii() and _occurs(article.text, n)]
        if seen and not taken.intersection(fold_name(n) for n in names):
            suggestion = _actor(article, seen[0], "organisation", list(names))
            suggestion.id, suggestion.label = org_id, names[0]
            found.append(suggestion)
            taken.update(fold_name(n) for n in names)
    for name in _named_bodies(article.text):
        folded = fold_name(name)
        if not any(folded in t or t in folded for t in taken if len(t) > 3):
            taken.add(fold_name(name))
            found.append(_actor(article, name, "organisation", [name]))
    for acronym in dict.fromkeys(re.findall(r"(?<![\w-])[A-Z][A-Z-]{2,8}(?![\w-])", article.text)):
        folded = fold_name(acronym)
        if folded not in taken and folded not in _data.noise() and acronym[-1] != "-":
            taken.add(folded)
            found.append(_actor(article, acronym, "initials", [acronym]))
    return found


_BODY_WORDS = (
    "Watch|Forces|Army|Council|Programme|Program|Organisation|Organization|Committee|Agency|"
    "Front|Movement|Party|Brigade|Brigades|Group|Alliance|Coalition|Union|Observatory|"
    "Commission|Court|Network|Institute|Crescent|Cross|Federation|Association|Mission"
)
_WORD = r"[A-Z][\w'’]+(?:-[A-Z][\w'’]+)*"
_BODY = re.compile(
    rf"(?<![\w-])((?:{_WORD} )(?:(?:of|for|the|and) )?(?:{_WORD} ){{0,4}}(?:{_BODY_WORDS}))\b"
)


def _named_bodies(text: str) -> list[str]:
    """Organisations named in full without an acronym: "Human Rights Watch"."""
    found = []
    for match in _BODY.finditer(text):
        name = re.sub(r"^(?:The|A|An|In|On|At|By|From|For|With) ", "", match.group(1))
        if len(name.split()) >= 2:
            found.append(name)
    return list(dict.fromkeys(found))


def people(article: Article, not_names: frozenset[str]) -> list[Suggestion]:
    found = []
    for person in find_people(article, not_names):
        names = [person.name]
        if len(person.surname) >= 4:
            with_article = person.name.split()[-1]
            names += (
                [with_article, person.surname]
                if with_article != person.surname
                else [person.surname]
            )
        if person.nickname:
            names.append(person.nickname)
        suggestion = _actor(article, person.name, "person", names)
        if person.byline:
            suggestion.note = "the author of an embedded post, not a person in the story"
        found.append(suggestion)
    return found


def states(
    article: Article, gazetteer: Gazetteer, chosen: list[Place], leading: str
) -> list[Suggestion]:
    """States acting in the story: a country named as actor, its demonym, its capital."""
    cited: Counter[str] = Counter()
    for code, other_names in _data.state_names().items():
        cited[code] += sum(count(article.text, n) for n in other_names)
    for place in chosen:
        if place.kind == "country" and place.country != leading and _acts(article, place):
            cited[place.country] += 1
        if place.kind == "city" and place.country != leading:
            country = gazetteer.country(place.country)
            if country and fold_name(country.capital) == fold_name(place.name):
                cited[place.country] += 1
    found = []
    for code, times in cited.items():
        country = gazetteer.country(code)
        if not times or country is None or code == leading:
            continue
        names: list[str] = [
            *country.names[:1],
            *_data.state_names().get(code, ()),
            *country.names[1:],
        ]
        if country.capital:
            names.insert(2, country.capital)
        seen = next((n for n in names if _occurs(article.text, n)), names[0])
        suggestion = _actor(article, seen, "state", names)
        suggestion.id, suggestion.label, suggestion.place = (
            slug(country.name),
            country.name,
            country,
        )
        found.append(suggestion)
    return found


def organs(article: Article, leading_demonym: str, surnames: list[str]) -> list[Suggestion]:
    """The government side as one actor: "Syrian government", "Assad regime", "Syrian army"."""
    heads = [h for h in (leading_demonym, *surnames) if h]
    if not heads:
        return []
    pattern = rf"\b(?:{'|'.join(map(re.escape, heads))}) {_ORGAN}\b"
    forms = list(dict.fromkeys(m.group(0) for m in re.finditer(pattern, article.text, re.I)))
    if not forms:
        return []
    label = f"{leading_demonym} government" if leading_demonym else forms[0]
    suggestion = _actor(article, forms[0], "group", [label, *forms])
    suggestion.id = slug(label)
    return [suggestion]


def _acts(article: Article, place: Place) -> bool:
    """Whether a country is named as an actor: "Russia urged", "Iran-backed", "China's"."""
    for name in place.names[:3]:
        for match in re.finditer(rf"\b{re.escape(name)}(['’]s\b|-\w+|\s+\w+)?", article.text):
            tail = (match.group(1) or "").strip().lower()
            if tail.startswith(("'", "’", "-")) or tail in _STATE_VERBS:
                return True
    return False


def _actor(article: Article, seen: str, source: str, names: list[str]) -> Suggestion:
    suggestion = Suggestion(
        id=slug(names[0]),
        kind="actor",
        label=names[0],
        source=source,  # type: ignore[arg-type]
        names=[],
    )
    for name in names:
        suggestion.add_name(name)
    suggestion.forms.add(seen)
    return suggestion


def _occurs(text: str, name: str) -> bool:
    return count(text, name) > 0


def count(text: str, name: str) -> int:
    """How often `name` stands in `text` as a word (with a plural s or possessive)."""
    if name.lower() not in text.lower():
        return 0  # most names are not there: skip the regular expression
    flags = 0 if name.isupper() or len(name) <= 3 else re.IGNORECASE
    pattern = rf"(?<![\w-]){re.escape(name)}(?:s|['’]s)?(?!\w)"
    return len(re.findall(pattern, text, flags))
