"""Aliases from the gazetteer: which alternate names are worth a watchlist line.

Spellings, keys and scripts are in `spelling` (they shape the index); the choice made here is
read at lookup time, so changing it needs no new index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from wirewatch.gazetteer._skeleton import arabic_skeletons, transliterates
from wirewatch.gazetteer.spelling import plain_arabic, script
from wirewatch.match.fold import fold_name

if TYPE_CHECKING:
    from wirewatch.gazetteer.index import Gazetteer, Place

_DIGIT = re.compile(r"\d")
_CODE = re.compile(r"^[A-Z]{2,4}$")
_NOT_ARABIC = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06cc\u06d5\u06ce\u06c6\u0695\u06b5]")


def good_alias(name: str, scripts: Iterable[str] = ("latin", "arabic")) -> bool:
    """Whether a gazetteer alternate name is worth a watchlist line.

    Dropped: other scripts than `scripts`; codes (ALP, DAM, QHS); lowercase romanisations
    ("hms", "mdynt hms"); names with digits; one- and two-letter names.
    """
    kind = script(name)
    if kind not in scripts or _DIGIT.search(name) or len(name.strip()) < 3:
        return False
    if kind == "arabic":
        words = name.split()
        return not _NOT_ARABIC.search(name) and min(map(len, words)) > 1 and words[0] != "مدينة"
    if kind == "latin":
        if _CODE.match(name) or not any(c.isupper() for c in name):
            return False
        if any(c in name for c in '`ʹ"()[]/,;'):
            return False  # transliteration markup or a list, not a name
        if not _romanisable(name):
            return False  # letters such as ə or ŋ: another language's spelling
    return True


def pick_aliases(
    primary: str,
    names: Iterable[str],
    *,
    scripts: Iterable[str] = ("latin", "arabic"),
    like: Iterable[str] = (),
    latin: int = 6,
    other: int = 3,
) -> list[str]:
    """The good aliases of `names`, one per folded spelling, shortest first: at most `latin`
    Latin ones, then at most `other` in the other allowed scripts. A Latin alias must be a
    transliteration of one of the Arabic names (see `_skeleton`) when there are any, else look
    like `primary` or a spelling in `like`; either way exonyms such as Homsz or Alepas do not."""
    allowed = tuple(scripts)
    models = [fold_name(n) for n in (primary, *like)]
    arabic = {s for n in names if script(n) == "arabic" for s in arabic_skeletons(plain_arabic(n))}
    chosen: dict[str, str] = {}
    counts = {"latin": 0, "other": 0}
    ordered = sorted(set(names), key=lambda n: (not n.isascii(), len(n), n))
    primary = ascii_latin(primary)
    for name in [primary, *ordered]:
        kind = script(name)
        if name != primary and not good_alias(name, allowed):
            continue
        name = plain_arabic(name) if kind == "arabic" else name
        key = fold_name(name)
        group = "latin" if kind == "latin" else "other"
        if not key or key in chosen or counts[group] >= (latin if group == "latin" else other):
            continue
        if group == "latin" and name != primary and not _latin_ok(name, key, models, arabic):
            continue
        chosen[key] = name
        counts[group] += 1
    return list(chosen.values())


def _romanisable(name: str) -> bool:
    decomposed = unicodedata.normalize("NFKD", name)
    return all(c.isascii() or unicodedata.combining(c) or c in "‘’ʼʿʾ" for c in decomposed)


def ascii_latin(name: str) -> str:
    """A Latin name in ASCII: Ḩamāh is Hamah, Dar‘ā is Dar'a; other names as they are."""
    if script(name) != "latin" or name.isascii():
        return name
    folded = "".join("'" if c in "‘’ʼʿʾ`" else c for c in unicodedata.normalize("NFKD", name))
    return folded.encode("ascii", "ignore").decode() or name


def _latin_ok(name: str, key: str, models: list[str], arabic: set[str]) -> bool:
    return transliterates(name, arabic) if arabic else _looks_like(key, models)


def _looks_like(key: str, models: list[str]) -> bool:
    plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    return any(SequenceMatcher(None, plain, m).ratio() >= 0.6 for m in models)


def unambiguous(gazetteer: Gazetteer, place: Place, aliases: Iterable[str]) -> list[str]:
    """The aliases that name no other town of the same country and no town of 5,000 people
    elsewhere ("Sam" and "Cham" for Damascus, "Gama" for Hama do). The place's own name, first
    in `aliases`, always stays."""
    kept: list[str] = []
    for alias in aliases:
        if not kept and fold_name(alias) == fold_name(ascii_latin(place.name)):
            kept.append(alias)
            continue
        others = [p for p in gazetteer.lookup(alias) if p.id != place.id and p.kind == "city"]
        if not any(p.country == place.country or p.population >= 5000 for p in others):
            kept.append(alias)
    return kept
