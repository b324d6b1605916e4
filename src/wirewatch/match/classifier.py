"""The watchlist matcher: pure, synchronous, compiled once per watchlist.

A watchlist compiles into one Aho-Corasick automaton over folded names (see `fold`). Each item
field is folded once, every occurrence of every name is found (overlaps included), and each is
kept only if it stands as a whole word (with an English possessive, an actor's plural, or an
Arabic one-letter prefix allowed), passes the case rules, and is not inside an `exclude` phrase.
Overlapping survivors are resolved leftmost-longest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ahocorasick_rs import AhoCorasick, MatchKind

from wirewatch.config.limits import DEFAULT as _LIMITS
from wirewatch.config.limits import cap_matches
from wirewatch.match.fold import fold
from wirewatch.match.forms import Form, flags_of, form_of, name_forms
from wirewatch.match.watchlist import Watchlist
from wirewatch.model import Classification, FeedItem, Match

if TYPE_CHECKING:
    from wirewatch.match.nearmiss import NearMiss

MATCHES_PER_ENTITY = _LIMITS.matches_per_entity
_ARABIC_PREFIXES = frozenset(["و", "ف", "ب", "ل", "ك"] + [a + b for a in "وف" for b in "بلك"])
_ELISIONS = frozenset("ldjmnstc")  # French l'Iran, d'Alep


class Matcher:
    """Finds a watchlist's entities in text and applies its alert rule."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        forms: dict[str, list[Form]] = {}
        for index, entity in enumerate(watchlist.entities):
            for key, form in name_forms(index, entity):
                forms.setdefault(key, []).append(form)
        # The automaton reports a key's number: `_groups[number]` holds that key's forms.
        self._keys = tuple(forms)
        self._groups: tuple[tuple[Form, ...], ...] = tuple(tuple(g) for g in forms.values())
        self._automaton = automaton(self._keys)

    def __getstate__(self) -> tuple[Watchlist, tuple[str, ...], list[list[tuple[Any, ...]]]]:
        # The automaton is rebuilt from the keys (faster than any pickle of it would load), and
        # plain tuples pickle in C where named tuples would call back into Python once each.
        return self.watchlist, self._keys, [[tuple(f) for f in g] for g in self._groups]

    def __setstate__(
        self, state: tuple[Watchlist, tuple[str, ...], list[list[tuple[Any, ...]]]]
    ) -> None:
        self.watchlist, self._keys, groups = state
        self._groups = tuple(tuple(Form._make(f) for f in g) for g in groups)
        self._automaton = automaton(self._keys)

    def to_data(self) -> dict[str, Any]:
        """The compiled matcher as plain JSON-able data (what the `classify` cache stores).

        The forms are stored column by column: `counts[k]` forms belong to `keys[k]`, and the
        entity, name and flags of each form are in `entity`, `name` and `flags`.
        """
        forms = [form for group in self._groups for form in group]
        return {
            "watchlist": self.watchlist.model_dump(mode="json", exclude_defaults=True),
            "keys": self._keys,
            "counts": [len(group) for group in self._groups],
            "entity": [form.entity for form in forms],
            "name": [form.name for form in forms],
            "flags": [flags_of(form) for form in forms],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Matcher:
        """The matcher `to_data` described; raises ValueError, TypeError or KeyError for other
        data."""
        matcher = cls.__new__(cls)
        matcher.watchlist = Watchlist.model_validate(data["watchlist"])
        keys, counts = data["keys"], data["counts"]
        columns = data["entity"], data["name"], data["flags"]
        if not all(type(c) is list for c in (keys, counts, *columns)):
            raise TypeError("not a compiled matcher")
        if (
            len(keys) != len(counts)
            or sum(counts) != len(columns[0])
            or len(set(map(len, columns))) != 1
        ):
            raise ValueError("the columns do not pair up")
        if not all(type(key) is str and key for key in keys):
            raise TypeError("a key is not a non-empty string")
        entities = [(e.id, e.kind) for e in matcher.watchlist.entities]
        forms = [form_of(entities, *row) for row in zip(*columns, strict=True)]
        groups, start = [], 0
        for count in counts:
            groups.append(tuple(forms[start : start + count]))
            start += count
        matcher._keys = tuple(keys)
        matcher._groups = tuple(groups)
        matcher._automaton = automaton(matcher._keys)
        return matcher

    def find(self, text: str, field: str) -> list[Match]:
        """Every entity mention in `text`, in order, with offsets into `text`."""
        common: set[str] = set()
        return [m for m in self._scan(text, field, common) if m.name not in common]

    def _scan(self, text: str, field: str, common: set[str]) -> list[Match]:
        """Like `find`; adds to `common` the names seen written as ordinary lowercase words."""
        if not text:
            return []
        folded, positions = fold(text)
        size = len(folded)
        found: list[tuple[int, int, int, Form]] = []
        excluded: list[tuple[int, int, int]] = []
        groups = self._groups
        for number, start, end in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            before = folded[start - 1] if start else " "
            after = folded[end] if end < size else " "
            # Most names stand between spaces or punctuation: then every form of them counts
            # as a whole word, and only letters, digits or an apostrophe next to it need rules.
            plain = not (before.isalnum() or after.isalnum() or before == "'" or after == "'")
            for form in groups[number]:
                span = (start, end)
                if not plain:
                    # Cheap rejections first: most hits of a big watchlist sit inside words.
                    inside_before = before.isalnum() and not form.arabic
                    if inside_before or (after.isalnum() and not form.plural):
                        continue
                    accepted = _accept(folded, start, end, form)
                    if accepted is None:
                        continue
                    span = accepted
                if form.case != "any" and not _case_ok(text, positions, start, end, form):
                    if form.case == "capital":
                        common.add(form.name)
                    continue
                if form.exclude:
                    excluded.append((form.entity, *span))
                else:
                    found.append((span[0], -span[1], len(found), form))
        if not found:
            return []
        found.sort()
        return self._select(text, positions, found, excluded, field)

    def _select(
        self,
        text: str,
        positions: list[int] | None,
        found: list[tuple[int, int, int, Form]],
        excluded: list[tuple[int, int, int]],
        field: str,
    ) -> list[Match]:
        """Leftmost-longest among the accepted occurrences, minus those inside exclusions."""
        matches: list[Match] = []
        taken = 0
        for start, negative_end, _, form in found:
            end = -negative_end
            if start < taken or (excluded and _inside(excluded, form.entity, start, end)):
                continue
            taken = end
            begin, finish = (
                (start, end) if positions is None else _original(positions, start, end, len(text))
            )
            matches.append(
                Match(
                    form.entity_id, form.kind, form.name, field, begin, finish, text[begin:finish]
                )
            )
        return matches

    def classify(self, item: FeedItem, *, per_entity: int = MATCHES_PER_ENTITY) -> Classification:
        """Match every counted field of `item` and decide whether it alerts.

        At most `per_entity` matches of each entity are reported (the first ones); how many
        more there were is in `Classification.omitted`.
        """
        matches: list[Match] = []
        common: set[str] = set()
        for field in self.watchlist.alert.fields:
            text = getattr(item, field)
            if text:
                matches += self._scan(text, field, common)
        if not matches:
            return Classification(self.watchlist.name, item.id, False, ())
        if common:  # "Turkey prices climb ... turkey flocks": the bird, capitalised at the start
            matches = [m for m in matches if m.name not in common]
        alert = self.alerts(matches)
        if len(matches) <= per_entity:
            return Classification(self.watchlist.name, item.id, alert, tuple(matches))
        kept, omitted = cap_matches(matches, per_entity)
        return Classification(self.watchlist.name, item.id, alert, kept, omitted)

    def near_misses(self, item: FeedItem) -> list[NearMiss]:
        """Names in `item` that did not count, and why (for `classify --explain`)."""
        from wirewatch.match.nearmiss import near_misses

        return near_misses(self, item)

    def rule_problem(self, result: Classification) -> str | None:
        """For matches that raised no alert: the part of the alert rule they miss."""
        from wirewatch.match.nearmiss import rule_problem

        kinds: set[str] = {m.kind for m in result.matches}
        return rule_problem(self, len(result.entities), kinds) if result.matches else None

    def alerts(self, matches: list[Match]) -> bool:
        rule = self.watchlist.alert
        if not matches:
            return False
        if rule.min_entities > 1 and len({m.entity for m in matches}) < rule.min_entities:
            return False
        return not rule.require_kinds or all(
            any(m.kind == kind for m in matches) for kind in rule.require_kinds
        )


def automaton(keys: tuple[str, ...]) -> AhoCorasick:
    """Every occurrence of every key, overlaps included; offsets count characters.

    The library picks the automaton: a DFA for small watchlists, a contiguous NFA for big ones.
    A DFA would search a 20,000-name watchlist about 30% faster, but its memory grows with the
    alphabet: 76 MB for 20,000 random Arabic names, 350 MB for 100,000 (the NFA: 30 MB).
    """
    return AhoCorasick(keys, matchkind=MatchKind.Standard)


def _inside(excluded: list[tuple[int, int, int]], entity: int, start: int, end: int) -> bool:
    return any(e == entity and s <= start and end <= t for e, s, t in excluded)


def _accept(folded: str, start: int, end: int, form: Form) -> tuple[int, int] | None:
    """The span to report if the occurrence at [start, end) is a whole word, else None."""
    start = _word_start(folded, start, form)
    if start < 0:
        return None
    if end == len(folded):
        return start, end
    after = folded[end]
    if after == "'":
        return _possessive(folded, start, end)
    if not after.isalnum():
        return start, end
    if form.plural and after == "s" and _boundary(folded, end + 1):
        return start, end + 1
    return None


def _word_start(folded: str, start: int, form: Form) -> int:
    if start == 0:
        return 0
    before = folded[start - 1]
    if before == "'":
        word = start - 1
        while word > 0 and folded[word - 1].isalnum():
            word -= 1
        elided = start - 1 - word == 1 and folded[word] in _ELISIONS
        return start if word == start - 1 or elided else -1
    if not before.isalnum():
        return start
    if form.arabic:
        word = start
        while word > 0 and folded[word - 1].isalnum():
            word -= 1
        if folded[word:start] in _ARABIC_PREFIXES:
            return word
    return -1


def _possessive(folded: str, start: int, end: int) -> tuple[int, int] | None:
    if folded[end + 1 : end + 2] == "s" and _boundary(folded, end + 2):
        return start, end + 2  # Hama's
    if _boundary(folded, end + 1):
        return start, end + 1  # Homs'
    return None  # Dar'a is not "Dar"


def _boundary(folded: str, index: int) -> bool:
    return index >= len(folded) or not folded[index].isalnum()


def _case_ok(text: str, positions: list[int] | None, start: int, end: int, form: Form) -> bool:
    if form.case == "any":
        return True
    begin, finish = _original(positions, start, end, len(text))
    written = text[begin:finish]
    if form.case == "upper":
        return written == written.upper()
    first = next((c for c in written if c.isalpha()), "")
    return first.isupper()


def _original(positions: list[int] | None, start: int, end: int, size: int) -> tuple[int, int]:
    if positions is None:
        return start, end
    return positions[start], positions[end] if end < len(positions) - 1 else size
