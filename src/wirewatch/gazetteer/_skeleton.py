"""Consonant skeletons: whether a Latin name can be a transliteration of an Arabic one.

GeoNames' alternate names mix transliterations of the Arabic name (Hims, Halab, Dimashq) with
exonyms in other languages (Homsz, Alepas, Damasco). Reduced to their consonants, in classes
that transliterations blur (ص س ش ث = s, ح ه خ = h, ق ك = k ...), without vowels, doubled
letters or the article, a transliteration keeps the Arabic name's skeleton: حمص and Hims are
both "hms", Homsz is "hmss". A dropped initial h (Alep for حلب) still counts, and a final ة
may be written h, t or nothing (Hama, Hamah, Hamath).
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC = dict(
    zip("بتثجحخدذرزسشصضطظغفقكلمنه", "btsghhdzrzsssdtzgfkklmnh", strict=True)
)  # ا و ي ى ء ع and hamza forms are vowels here; ة is handled apart
_LATIN_DIGRAPHS = (("kh", "h"), ("ch", "s"), ("sh", "s"), ("th", "t"), ("dh", "d"), ("gh", "g"),
                   ("ph", "f"), ("ou", "w"))  # fmt: skip
_LATIN = dict(zip("bpdtjgkqchsxzfvrlmn", "bbdtggkkkhsszffrlmn", strict=True))
_LATIN_ARTICLES = frozenset("al el ad ar as ash az at an ad ed er es esh et ez en ech".split())


def arabic_skeletons(name: str) -> set[str]:
    """The skeletons of an Arabic name: one per way of writing its final ة."""
    words = [w.removeprefix("ال") if len(w) > 3 else w for w in name.split()]
    variants = {""}
    for word in words:
        core = "".join(_ARABIC.get(c, "") for c in word.rstrip("ة"))
        endings = ("", "h", "t") if word.endswith("ة") else ("",)
        variants = {v + core + e for v in variants for e in endings}
    return {_squeeze(v) for v in variants}


def latin_skeleton(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[\s'-]+", plain) if w and w not in _LATIN_ARTICLES]
    text = " ".join(re.sub(r"(?<=[aeiou])h$", "", w) for w in words)  # Busrah = Busra
    for digraph, letter in _LATIN_DIGRAPHS:
        text = text.replace(digraph, letter)
    return _squeeze("".join(_LATIN.get(c, "") for c in text))


def transliterates(latin: str, arabic: set[str]) -> bool:
    """Whether `latin`'s skeleton is one of `arabic`'s, allowing a dropped initial h."""
    skeleton = latin_skeleton(latin)
    return any(skeleton in (s, s.removeprefix("h")) for s in arabic if s)


def _squeeze(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)
