"""What an item reports, as story grouping compares it: the kind of action, the names, the figures.

An `Event` is built from an item's text and the canonical entities the classifier found in it:

- `actions`: the kinds of action the text reports, from a small lexicon of English and Arabic
  event words grouped into classes modelled on CAMEO, the event codebook GDELT uses
  ("seize", "capture", "fall to", "سيطر" are all `capture`). A class is a stem, matched at the
  start of a word, so "captures", "captured" and "capturing" count.
- `terms`: the words that name things: Latin-script words written with a capital inside a
  sentence (Ghouta, Azaz, Mezzeh), stemmed the same way as the rest, and Arabic words of four
  letters or more with their clitics removed. Two reports of one event share few words, but they
  tend to share a proper name.
- `figures`: numbers of two digits or more that are not years (a toll of 19, 88.7 percent).
- `words`: every content word (`stories.shingles`), as weak supporting evidence.

`compatible` says whether two action families can be one event: a capture and a withdrawal,
a deal and its suspension cannot.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from wirewatch.stories.actions import actions_in, arabic_stem, family_of, is_arabic, without_clitic

_COMMON: Final = 4.5
_RARE: Final = 3.5
_ARABIC_COMMON: Final = 4.0
_WORD: Final = re.compile(r"[\w'’-]+")
_POSSESSIVE: Final = re.compile(r"['’]s$")
_NUMBER: Final = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)")
_ARABIC_STOP: Final = frozenset(
    "على إلى التي الذي الذين بعد قبل بين حتى خلال عن مع منذ فيما وقال قال قالت أن إن كان كانت "
    "هذا هذه ذلك تلك عدد عددا أول أكثر ألف مئات عشرات حيث بحسب وفق أمس اليوم".split()
)
_LATIN_STOP: Final = frozenset(
    "a an the of in on at to for from by with and or but as is are was were be been it its "
    "this that these those his her their our after before over under into near says said say "
    "new first last two three four five six seven eight nine ten one most more least least "
    "why what how who will would could should may might can not no yes breaking update live "
    "syria syrian state media official officials monday tuesday wednesday thursday friday "
    "saturday sunday january february march april may june july august september october "
    "november december".split()
)


_JOINED_ARTICLE: Final = re.compile(r"^(?:al|el|an|ar|as|ash|ad|az|at|ez|es|en|ed)[-’'](?=[A-Z])")
_LOOKING_BACK: Final = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)"
    r"\s+years?\s+(?:after|since|on|ago)\b|\banniversary\b|\ba decade\s+(?:after|since|on)\b"
    r"|ذكرى|(?:سنوات|أعوام|عاما|سنة|عام)\s+على",
    re.IGNORECASE,
)
_CREDIT_WORDS: Final = 4
_CREDIT_HEAD: Final = re.compile(r"^\s*([^:\n]{2,40}?)\s*:\s+\S")
_CREDIT_TAIL: Final = re.compile(r"\s[-\u2013\u2014]{1,2}\s+([^-\u2013\u2014\n]{2,40}?)\s*$")


@dataclass(frozen=True, slots=True)
class Event:
    """The parts of an item that story grouping compares (see the module docstring)."""

    entities: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    """The entities among `entities` that are places."""
    actions: frozenset[str] = frozenset()
    action: str | None = None
    """The family of the first action the title names, else the summary; None when neither
    names one."""
    terms: frozenset[str] = frozenset()
    figures: frozenset[str] = frozenset()
    titled: bool = False
    """Whether `action` comes from the title (else from the summary, or there is none)."""
    looks_back: bool = False
    """Whether the title looks back at an event years on (an anniversary piece)."""


def event_of(
    text: str,
    entities: Iterable[str] = (),
    named: Iterable[str] = (),
    places: Iterable[str] = (),
) -> Event:
    """The event an item's text reports, given the canonical entities found in it and the text
    of the names that matched them (those names are not counted again as terms)."""
    folded = unicodedata.normalize("NFKC", text)
    lines = folded.split("\n", 1)
    title_actions = actions_in(lines[0])
    rest_actions = actions_in(lines[1]) if len(lines) > 1 else frozenset()
    skip = frozenset().union(*(_terms(n, names=True) for n in named)) if named else frozenset()
    found = frozenset(entities)
    return Event(
        entities=found,
        places=found & frozenset(places),
        actions=title_actions | rest_actions,
        action=(titled := family_of(title_actions)) or family_of(rest_actions),
        titled=titled is not None,
        terms=_terms(folded) - skip,
        figures=_figures(folded),
        looks_back=bool(_LOOKING_BACK.search(lines[0])),
    )


def attribution(title: str) -> tuple[tuple[int, int], ...]:
    """The span of `title` that names who reports rather than what happened: a short credit
    before a colon ("SOHR: 26 killed ...") or after a closing dash ("... toll rises - SOHR"),
    or nothing. An actor named only there is the report's source, not a party to the event."""
    found = (_CREDIT_HEAD.match(title), _CREDIT_TAIL.search(title))
    return tuple(m.span(1) for m in found if m and len(m.group(1).split()) <= _CREDIT_WORDS)


def name_phrases(text: str) -> frozenset[str]:
    """The runs of two or three capitalised words in `text` ("Maarat al-Numan", "Khan
    Sheikhoun", "Deir ez-Zor"): a town's name is often more than one word. A common word
    ("The") does not start one, and a possessive ends it ("Homs's Waer" is Homs, then Waer)."""
    found: set[str] = set()
    for line in text.split("\n"):
        run: list[str] = []
        for token in [*_WORD.findall(line), ""]:
            named = token[:1].isupper() or _JOINED_ARTICLE.match(token)
            if named and (run or token.casefold() not in _LATIN_STOP):
                run.append(_POSSESSIVE.sub("", token).strip("'’-"))
                if not _POSSESSIVE.search(token):
                    continue
            found.update(" ".join(run[i : i + n]) for n in (2, 3) for i in range(len(run) - n + 1))
            run = []
    return frozenset(found)


def figures_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two reports give different decimal figures and none in common (88.7 and 95.1
    percent: two elections, not one). Whole numbers are tolls and rise between reports."""
    da = {f for f in a if "." in f}
    db = {f for f in b if "." in f}
    return bool(da and db and not da & db)


def _terms(text: str, *, names: bool = False) -> frozenset[str]:
    """The naming words of `text`; with `names`, every word of a name, capital or not."""
    terms: set[str] = set()
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n", text):
        tokens = _WORD.findall(sentence)
        for index, token in enumerate(tokens):
            if names and token[:1].islower():
                token = token[:1].upper() + token[1:]
            term = _term(token, first=index == 0 and not names, shouting=sentence.isupper())
            if term:
                terms.add(term)
    return frozenset(terms)


@functools.lru_cache(maxsize=65536)  # the same words recur report after report
def _term(token: str, *, first: bool, shouting: bool) -> str | None:
    """A word that names something: rare in the language (a name, not "government"), and in
    Latin script written with a capital. A capital that only starts a sentence or shouts a
    headline proves nothing, so there the word must be rarer still."""
    token = token.strip("'’-")
    if _JOINED_ARTICLE.match(token):  # "al-Waer" names Waer, as "Al-Waer" does
        token, first = _JOINED_ARTICLE.sub("", token), False
    if is_arabic(token):
        stem = arabic_stem(token)
        if len(stem) < 3 or stem in _ARABIC_STOP or _arabic_common(token):
            return None
        return stem
    if not token[:1].isupper() or len(token) < 3 or token.isdigit():
        return None
    key = re.sub(r"^(al|el|ad|as|ar|ash|az)[-’']", "", token.casefold())
    key = _POSSESSIVE.sub("", key).replace("'", "").replace("’", "")
    if key in _LATIN_STOP or len(key) < 3:
        return None
    if zipf(key, "en") >= (_RARE if first or shouting else _COMMON):
        return None
    return key.rstrip("s") if len(key) > 4 else key


@functools.cache
def zipf(word: str, language: str) -> float:
    """How common `word` is in `language`, on the Zipf scale of the wordfreq package (7: "the",
    3: once per 10 million words, 0: unknown)."""
    from wordfreq import zipf_frequency  # here: it costs 0.7 s to import, grouping alone needs it

    return float(zipf_frequency(word, language, wordlist="small"))


def _figures(text: str) -> frozenset[str]:
    found = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(",", "")
        if len(value.split(".")[0]) < 2:
            continue
        if value.isdigit() and 1900 <= int(value) <= 2100:
            continue
        found.add(value)
    return frozenset(found)


def _arabic_common(token: str) -> bool:
    """Whether an Arabic word is common in the language, with or without its clitic
    ("للحرية" is rare as written, but it is "for the freedom")."""
    bare = without_clitic(token.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا"))
    forms = (token, bare, "ال" + bare)
    return max(zipf(f, "ar") for f in forms) >= _ARABIC_COMMON
