"""Spellings in the gazetteer: lookup keys, scripts, Arabic without marks.

The index is built with these, so changing them rebuilds it (`index._DEPENDS_ON`). A name is
looked up by three keys, so that the spellings an article uses find the gazetteer's:

- `exact`: folded as the matcher folds (case, diacritics, apostrophes, hyphens, Arabic forms);
- `squashed`: the exact key without spaces or apostrophes ("Deir Ezzor" = "Deir ez-Zor");
- `article`: the Arabic article in any transliteration (al-, ash-, ez-, el- ...) written "al",
  then squashed ("Busra al-Sham" = "Busra ash Sham").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from wirewatch.match.fold import fold_name

Script = Literal["latin", "arabic", "other"]
_ARTICLE = re.compile(r"(?:(?<=\s)|^)(?:al|el|al|as|ash|az|ad|an|ar|at|es|esh|ez|ed|en|er|et)\s")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")


def keys(name: str) -> tuple[str, ...]:
    """The lookup keys of `name`, most exact first, without repeats."""
    exact = fold_name(name)
    squashed = exact.replace(" ", "").replace("'", "")
    article = _ARTICLE.sub("al ", exact).replace(" ", "").replace("'", "")
    return tuple(dict.fromkeys(k for k in (exact, squashed, article) if k))


def script(name: str) -> Script:
    """The script of the name's letters: Latin, Arabic, or anything else (mixed is other)."""
    found: set[str] = set()
    for char in name:
        if char.isalpha():
            label = unicodedata.name(char, "")
            found.add(
                "latin"
                if label.startswith("LATIN")
                else "arabic"
                if label.startswith("ARABIC")
                else "other"
            )
    if len(found) == 1:
        only = found.pop()
        return "latin" if only == "latin" else "arabic" if only == "arabic" else "other"
    return "other"


def plain_arabic(name: str) -> str:
    """An Arabic name without short-vowel marks, shadda or tatweel (as analysts write it)."""
    return _ARABIC_MARKS.sub("", name)
