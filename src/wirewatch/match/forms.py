"""The searchable forms of a watchlist's names: what the matcher's automaton is built from.

Each name of an entity gives one or more folded keys (its variants, an organisation's short
form, a person's surname alone) and a `Form` that says how a hit must look to count (case,
plural, Arabic prefix, or an exclude phrase).
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Literal, NamedTuple

from wirewatch.match.fold import fold_name
from wirewatch.match.watchlist import Entity
from wirewatch.model import EntityKind

Case = Literal["any", "upper", "capital"]
_ACRONYM_MAX = 5
_PLURAL_MIN = 4


def _common_words() -> frozenset[str]:
    text = files("wirewatch").joinpath("data/common_words.txt").read_text(encoding="utf-8")
    return frozenset(
        fold_name(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


COMMON_WORDS = _common_words()


class Form(NamedTuple):
    """One searchable form of a name (or of an exclude phrase) of one entity."""

    entity: int
    entity_id: str
    kind: EntityKind
    name: str
    case: Case
    plural: bool
    arabic: bool
    exclude: bool


_CASES: tuple[Case, ...] = ("any", "upper", "capital")


def flags_of(form: Form) -> int:
    return _CASES.index(form.case) | form.plural << 2 | form.arabic << 3 | form.exclude << 4


def form_of(entities: list[tuple[str, EntityKind]], entity: int, name: str, flags: int) -> Form:
    if type(name) is not str or type(flags) is not int or type(entity) is not int or entity < 0:
        raise TypeError("not a form")
    entity_id, kind = entities[entity]
    case = _CASES[flags & 3]
    return Form(
        entity, entity_id, kind, name, case, bool(flags & 4), bool(flags & 8), bool(flags & 16)
    )


def name_forms(index: int, entity: Entity) -> list[tuple[str, Form]]:
    forms = _surname_forms(index, entity)
    for phrases, exclude in ((entity.names, False), (entity.exclude, True)):
        for name in phrases:
            case = _case_of(name, entity)
            key = fold_name(name)
            arabic = is_arabic(key[0])
            plural = (
                entity.plural
                and entity.kind == "actor"
                and not arabic
                and case != "upper"
                and len(key) >= _PLURAL_MIN
                and key[-1].isalpha()
                and key[-1] != "s"
            )
            for variant in _variants(key, entity.kind if not exclude else "place"):
                forms.append(
                    (
                        variant,
                        Form(
                            index,
                            entity.id,
                            entity.kind,
                            name,
                            case,
                            plural,
                            arabic,
                            exclude,
                        ),
                    )
                )
    return forms


def _surname_forms(index: int, entity: Entity) -> list[tuple[str, Form]]:
    """A person's surname alone, capitalised: Geir Pedersen -> Pedersen, Ahmed al-Sharaa ->
    Sharaa. Skipped when the entity already lists it, or the name looks like an organisation."""
    if not entity.surname:
        return []
    known = {fold_name(n) for n in entity.names}
    forms = []
    for name in entity.names:
        surname = _surname(name) if entity.kind == "actor" else None
        key = fold_name(surname) if surname else ""
        if surname and key not in known:
            known.add(key)
            form = Form(index, entity.id, entity.kind, name, "capital", False, False, False)
            forms.append((key, form))
    return forms


def _surname(name: str) -> str | None:
    words = [w for w in _WORD_BREAK.split(name) if w]
    if not 2 <= len(words) <= 4 or any(w.lower() in _ORG_WORDS for w in words):
        return None
    if not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
        return None
    last = words[-1]
    ok = len(last) >= _SURNAME_MIN and last.isalpha() and last[0].isupper() and last.isascii()
    return last if ok else None


_WORD_BREAK = re.compile(r"[\s\-‐‑]+")
_SURNAME_MIN = 5
_PARTICLES = frozenset("al el ad ash as az bin ibn bint de da di van von der".split())
_ORG_WORDS = frozenset(
    "of for and the army forces force front party council nations observatory ministry "
    "government organisation organization state states republic union brigade brigades "
    "movement committee authority agency coalition alliance group court bank fund command "
    "guard guards police office commission mission assembly league network company "
    "corporation institute university center centre report federation kingdom emirate "
    "caliphate regime administration embassy parliament congress senate cabinet service "
    "services news press times post herald tribune journal monitor watch rights division "
    "battalion regiment corps militia militias troops revolutionary islamic democratic "
    "national liberation resistance security defence defense".split()
)


def _variants(key: str, kind: str) -> list[str]:
    """The folded name plus the spellings that must find it too."""
    variants = [key]
    head = _head(key) if kind == "actor" else None
    if head:
        variants.append(head)
    if "'" in key:
        variants.append(key.replace("'", ""))
    if key.startswith("ال") and len(key) > 3:
        variants.append("لل" + key[2:])  # ل + ال contracts: للفرات
    return variants


def _head(key: str) -> str | None:
    """An organisation's short form: "syrian observatory for human rights" -> its first words.

    Only when at least two words stand before the first "of" or "for".
    """
    words = key.split(" ")
    cut = next((i for i, w in enumerate(words) if w in ("of", "for")), 0)
    return " ".join(words[:cut]) if cut >= 2 else None


def _case_of(name: str, entity: Entity) -> Case:
    if name.isupper() and sum(c.isalpha() for c in name) <= _ACRONYM_MAX:
        return "upper"
    if name in entity.match_case or fold_name(name) in COMMON_WORDS:
        return "capital"
    return "any"


def is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"
