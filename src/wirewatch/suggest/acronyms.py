"""Acronyms and their expansions: "Syrian Democratic Forces (SDF)", "Hay'at Tahrir al-Sham (HTS)".

The expansion is found by Schwartz and Hearst's rule (2003): walking back from the parenthesis,
each letter of the acronym, last first, must occur in the words before it, and the acronym's
first letter must begin a word. The words found are the expansion.
"""

from __future__ import annotations

import re

_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,6}$")


def pairs(text: str) -> list[tuple[str, str]]:
    """(expansion, acronym) for every "Long Form (LF)" in `text`, in order, each pair once."""
    found: dict[tuple[str, str], None] = {}
    for match in re.finditer(r"\(([A-Z][A-Za-z]{1,7})\)", text):
        acronym = match.group(1)
        if sum(c.isupper() for c in acronym) < 2:
            continue
        before = text[max(0, match.start() - 200) : match.start()].split("\n")[-1]
        words = before.split()[-(min(len(acronym) + 5, len(acronym) * 2)) :]
        long_form = expand(" ".join(words), acronym)
        if long_form:
            found[(long_form, acronym)] = None
    return list(found)


def expand(candidate: str, acronym: str) -> str | None:
    """The end of `candidate` that `acronym` abbreviates, or None."""
    letters = [c.lower() for c in acronym if c.isalnum()]
    position = len(candidate) - 1
    for index in range(len(letters) - 1, -1, -1):
        letter = letters[index]
        while position >= 0 and (
            candidate[position].lower() != letter
            or (index == 0 and position > 0 and candidate[position - 1].isalnum())
        ):
            position -= 1
        if position < 0:
            return None
        position -= 1
    start = candidate.rfind(" ", 0, position + 1) + 1
    long_form = candidate[start:].strip(" ,;:-")
    words = long_form.split()
    if len(words) < 2 or len(words) > len(letters) + 3 or not long_form[:1].isupper():
        return None
    return long_form


def is_acronym(word: str) -> bool:
    return bool(_ACRONYM.match(word))
