"""Spelling folds shared by watchlist names and item text.

`fold(text)` returns the folded text and, when its length differs from the input, a map from
each folded position back to the original one. The folds (documented in README "Matching"):

- case folded; Unicode compatibility forms and diacritics removed (NFKD, marks dropped:
  Türkiye = Turkiye, ﬁ = fi);
- every apostrophe-like mark (' ’ ‘ ʼ ʿ ʾ ` ´ ′) becomes "'"; names with an apostrophe also
  match without it (handled by the matcher);
- hyphens, dashes, no-break and other spaces become one plain space (al-Sham = al Sham);
- Arabic: hamza forms of alef (أ إ آ ٱ) become ا, ى becomes ي, ة becomes ه, tatweel, short-vowel
  marks and format characters (soft hyphen, zero-width joiners) are removed.
"""

from __future__ import annotations

import functools
import unicodedata

_APOSTROPHES = "'’‘ʼʿʾ`´′ʹ"
_SPACES = "-‐‑‒–—―−\t\n\r\f\v\u00a0\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
_ARABIC = {"ى": "ي", "ة": "ه", "ٱ": "ا", "ـ": ""}

_TABLE: dict[int, str] = {ord(c): "'" for c in _APOSTROPHES}
_TABLE.update({ord(c): " " for c in _SPACES})
_TABLE.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


@functools.lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """Fold one character; the result may be empty or longer than one character."""
    if char in _ARABIC:
        return _ARABIC[char]
    if ord(char) in _TABLE:
        return _TABLE[ord(char)]
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
    folded = kept.casefold()
    return "".join(_ARABIC.get(c, c) for c in folded.translate(_TABLE))


def fold(text: str) -> tuple[str, list[int] | None]:
    """Return `(folded, positions)`; `positions[i]` is the original index of folded char i.

    `positions` is None when folding kept every character in place (the common, fast case),
    and otherwise has one extra entry at the end holding `len(text)`.
    """
    if text.isascii():  # the common case, done with C string methods only
        folded = text.lower()
        if "-" in folded:
            folded = folded.replace("-", " ")
        if "`" in folded or not folded.isprintable():
            folded = folded.translate(_TABLE)
        return folded, None
    quick = text.translate(_TABLE)
    if quick.isascii():
        return quick, None
    pieces = [fold_char(c) for c in text]
    folded = "".join(pieces)
    if len(folded) == len(text) and all(len(p) == 1 for p in pieces):
        return folded, None
    positions = [i for i, piece in enumerate(pieces) for _ in piece]
    positions.append(len(text))
    return folded, positions


@functools.lru_cache(maxsize=1 << 17)
def fold_name(name: str) -> str:
    """Fold a watchlist name: as text, with runs of spaces collapsed and ends trimmed."""
    folded, _ = fold(name)
    return " ".join(folded.split())
