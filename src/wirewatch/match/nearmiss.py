"""Why a name that appears in an item did not count: for `classify --explain`. Pure.

A second, slower pass over the same automaton as `Matcher.classify`, which keeps every
occurrence it turns down with the rule that turned it down: not a whole word, the capitals
rule, the common-word rule, an `exclude` phrase, a field the watchlist does not count. And,
when an item with matches raises no alert, the part of the alert rule it misses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from wirewatch.match.fold import fold
from wirewatch.model import FIELDS, FeedItem

if TYPE_CHECKING:
    from wirewatch.match.classifier import Matcher
    from wirewatch.match.forms import Form


class NearMiss(NamedTuple):
    entity: str
    field: str
    start: int
    end: int
    text: str
    reason: str


def near_misses(matcher: Matcher, item: FeedItem) -> list[NearMiss]:
    """Occurrences of names in `item` that did not count, each with its reason."""
    counted = set(matcher.watchlist.alert.fields)
    real = {(m.field, m.start, m.entity) for m in matcher.classify(item).matches}
    misses: list[NearMiss] = []
    kept: list[tuple[NearMiss, str]] = []  # accepted occurrences, with their name
    common: dict[str, str] = {}  # names seen as lowercase common words -> as written
    for field in FIELDS:
        text = item.text_of(field)
        if not text:
            continue
        if field not in counted:
            reason = f"{field} is not in alert.fields"
            misses += [
                NearMiss(m.entity, field, m.start, m.end, m.text, reason)
                for m in matcher.find(text, field)
            ]
            continue
        misses += _scan(matcher, text, field, common, kept)
    for miss, name in kept:
        if name in common:
            why = f"common-word rule: the item also writes {common[name]!r} in lowercase"
            misses.append(miss._replace(reason=why))
    unique = {(m.field, m.start, m.entity): m for m in misses}
    found = [m for key, m in unique.items() if key not in real]
    return sorted(found, key=lambda m: (FIELDS.index(m.field), m.start))


def _scan(
    matcher: Matcher,
    text: str,
    field: str,
    common: dict[str, str],
    kept: list[tuple[NearMiss, str]],
) -> list[NearMiss]:
    from wirewatch.match import classifier as c

    folded, positions = fold(text)
    found: list[NearMiss] = []
    excluded: list[tuple[int, int, int, str]] = []
    accepted: list[tuple[int, int, Form]] = []
    hits = matcher._automaton.find_matches_as_indexes(folded, overlapping=True)
    for number, start, end in hits:
        begin, finish = c._original(positions, start, end, len(text))
        miss = NearMiss("", field, begin, finish, text[begin:finish], "")
        for form in matcher._groups[number]:
            here = miss._replace(entity=form.entity_id)
            span = (
                c._accept(folded, start, end, form) if _edged(folded, start, end) else (start, end)
            )
            if span is None:
                word = _word(text, begin, finish)
                found.append(here._replace(reason=f"not a whole word ({word!r})"))
            elif form.case != "any" and not c._case_ok(text, positions, start, end, form):
                found.append(here._replace(reason=_case_rule(form)))
                if form.case == "capital":
                    common[form.name] = here.text
            elif form.exclude:
                excluded.append((form.entity, span[0], span[1], form.name))
            else:
                accepted.append((span[0], span[1], form))
    for start, end, form in accepted:
        begin, finish = c._original(positions, start, end, len(text))
        here = NearMiss(form.entity_id, field, begin, finish, text[begin:finish], "")
        phrase = next(
            (p for e, s, t, p in excluded if e == form.entity and s <= start and end <= t), None
        )
        if phrase is not None:
            found.append(here._replace(reason=f"inside the exclude phrase {phrase!r}"))
        else:
            kept.append((here, form.name))
    return found


def _case_rule(form: Form) -> str:
    if form.case == "upper":
        return f"capitals rule: {form.name!r} counts only written in capitals"
    return f"common-word rule: {form.name!r} counts only capitalised"


def _edged(folded: str, start: int, end: int) -> bool:
    """Whether letters, digits or an apostrophe touch the occurrence (then rules apply)."""
    before = folded[start - 1] if start else " "
    after = folded[end] if end < len(folded) else " "
    return before.isalnum() or after.isalnum() or before == "'" or after == "'"


def _word(text: str, begin: int, end: int) -> str:
    while begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] == "'"):
        begin -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "'"):
        end += 1
    return text[begin:end]


def rule_problem(matcher: Matcher, entities: int, kinds: set[str]) -> str | None:
    """What the alert rule missed, for an item with matches that raised no alert."""
    rule = matcher.watchlist.alert
    if entities < rule.min_entities:
        named = f"{entities} entit{'y' if entities == 1 else 'ies'}"
        return f"{named} named; alert.min_entities is {rule.min_entities}"
    missing = [k for k in rule.require_kinds if k not in kinds]
    if missing:
        needed = ", ".join(rule.require_kinds)
        return f"no {' or '.join(missing)} named; alert.require_kinds is [{needed}]"
    return None
