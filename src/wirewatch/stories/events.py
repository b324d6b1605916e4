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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

# Each class lists its cues, separated by "|": a word with its inflections ("strike" counts
# "strikes", "striking"), an Arabic word with its clitics removed, or a phrase of several words.
_LEXICON_TEXT: Final[dict[str, str]] = {
    "protest": (
        "protest | demonstrat | rally | rallies | chant | march | sit-in | متظاهر | مظاهر | "
        "احتجاج | محتج | هتف | اعتصام"
    ),
    "chemical": (
        "chemical | gas | sarin | chlorine | toxic | poison | nerve agent | كيميائي | كيماوي "
        "| غاز | سام | سامة"
    ),
    "strike": (
        "storm | break into | breaks into | broke into | strike | airstrike | air strike | air "
        "raid | raid | bomb | shell | missile | rocket "
        "| drone | barrel | artillery | warplane | jets | blast | explosion | explosive | car "
        "bomb | attack | hit | struck | targeted | assault | غارة | غارات | قصف | صاروخ | "
        "صواريخ | مسير | طائرات | انفجار | تفجير | براميل | برميل | هجوم | استهدف | ضربة"
    ),
    "clash": (
        "clash | fighting | battle | infighting | offensive | push on | combat | اشتباك | "
        "معارك | مواجهات | قتال"
    ),
    "capture": (
        "controls | in control of | capture | seize | seized | take control | takes control "
        "| took control | taken "
        "control | take over | takes over | took over | fall to | falls to | fell to | "
        "overrun | enter | recapture | retake | in hts hands | now in | سيطر | تسيطر | يسيطر "
        "| دخل | تدخل | يدخل | استعاد | استعادة"
    ),
    "withdraw": (
        "withdraw | pull out | pulls out | pulled out | retreat | quit | leave | leaving | "
        "exit | bussed out | surrender | انسحب | انسحاب | ينسحب | تنسحب | خروج | إخراج | "
        "مغادرة"
    ),
    "deal": (
        "deal | truce | ceasefire | cease-fire | agreement | settlement | accord | broker | "
        "evacuat | هدنة | اتفاق | تسوية | إجلاء"
    ),
    "suspend": (
        "suspend | halt | collapse | stall | called off | break down | breaks down | تعليق | "
        "توقف | انهيار | علق"
    ),
    "election": (
        "elect | re-elect | vote | ballot | term | landslide | poll | percent | pct | انتخاب "
        "| ولاية | الأصوات | اقتراع"
    ),
    "appoint": (
        "appoint | name | named | dismiss | sack | sacked | replace | sworn | transitional "
        "president | تعيين | إقالة | عزل"
    ),
    "meet": (
        "meet | met | talks | summit | sit-down | conference | negotiat | محادثات | لقاء | "
        "يلتقي | التقى | مفاوضات"
    ),
    "visit": ("visit | arrive | received | lands in | زيارة | يصل | وصل | زار"),
    "sanction": ("sanction | embargo | lift | العقوبات | عقوبات"),
    "quake": ("quake | earthquake | tremor | magnitude | aftershock | زلزال | هزة"),
    "release": ("release | amnesty | freed | prisoner | detainee | الإفراج | العفو | معتقل"),
    "aircraft_down": (
        "shoot down | shoots down | shot down | down warplane | bring down | brings down | "
        "downed | downs | اسقاط | إسقاط"
    ),
    "kill": (
        "kill | dead | death | die | died | toll | martyr | massacre | carnage | قتيل | قتلى "
        "| قتل | مقتل | حصيلة | ضحايا | شهداء | مقتل"
    ),
}
_LEXICON: Final[dict[str, tuple[str, ...]]] = {
    kind: tuple(cue.strip() for cue in text.split("|")) for kind, text in _LEXICON_TEXT.items()
}

# The kind of action an item reports, as a family of classes: the first class of the title
# in this order, else of the summary. "kill" comes last: a toll is reported for a strike, a
# clash, a shooting or a quake alike, so it goes with each of them.
_FAMILY: Final[dict[str, str]] = {
    "chemical": "attack",
    "quake": "quake",
    "aircraft_down": "attack",
    "suspend": "suspend",
    "capture": "control",
    "withdraw": "leave",
    "deal": "leave",
    "election": "vote",
    "appoint": "appoint",
    "sanction": "sanction",
    "release": "release",
    "meet": "meet",
    "visit": "visit",
    "protest": "protest",
    "clash": "fight",
    "strike": "attack",
    "kill": "kill",
}
_PRIORITY: Final[tuple[str, ...]] = tuple(_FAMILY)
ACTIONS: Final[tuple[str, ...]] = tuple(dict.fromkeys(_FAMILY.values()))
"""Every action family an alert's `action` can name (the desk's filter offers them)."""
# Families that one event can be reported under: a rally fired on ("protest", "attack"), a
# vote and the appointment it makes, a toll of a strike, a clash, a shooting or a quake.
_COMPATIBLE: Final[frozenset[frozenset[str]]] = frozenset(
    frozenset(pair)
    for pair in (
        ("vote", "appoint"),
        ("protest", "attack"),
        ("kill", "attack"),
        ("kill", "fight"),
        ("kill", "protest"),
        ("kill", "quake"),
    )
)

# Zipf frequencies above which a word is too common to name an event: Latin words with a
# capital inside a sentence, Latin words at the start of one or in capitals, Arabic words.
_COMMON: Final = 4.5
_RARE: Final = 3.5
_ARABIC_COMMON: Final = 4.0
_WORD: Final = re.compile(r"[\w'’-]+")
_POSSESSIVE: Final = re.compile(r"['’]s$")
_NUMBER: Final = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)")
_ARABIC_CLITICS: Final = ("وال", "بال", "لل", "فال", "كال", "ال", "و", "ب", "ل", "ف")
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
        action=_family(title_actions) or _family(rest_actions),
        terms=_terms(folded) - skip,
        figures=_figures(folded),
    )


def attribution(title: str) -> tuple[tuple[int, int], ...]:
    """The span of `title` that names who reports rather than what happened: a short credit
    before a colon ("SOHR: 26 killed ...") or after a closing dash ("... toll rises - SOHR"),
    or nothing. An actor named only there is the report's source, not a party to the event."""
    found = (_CREDIT_HEAD.match(title), _CREDIT_TAIL.search(title))
    return tuple(m.span(1) for m in found if m and len(m.group(1).split()) <= _CREDIT_WORDS)


def compatible(a: str | None, b: str | None) -> bool:
    """Whether two action families can report one event (an unknown one goes with any)."""
    return a is None or b is None or a == b or frozenset((a, b)) in _COMPATIBLE


def figures_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two reports give different decimal figures and none in common (88.7 and 95.1
    percent: two elections, not one). Whole numbers are tolls and rise between reports."""
    da = {f for f in a if "." in f}
    db = {f for f in b if "." in f}
    return bool(da and db and not da & db)


def _family(actions: frozenset[str]) -> str | None:
    return next((_FAMILY[a] for a in _PRIORITY if a in actions), None)


def actions_in(text: str) -> frozenset[str]:
    """The action classes named in `text`: a word that is a cue or a cue with an inflection
    ("strikes", "seized", "shelling"; an Arabic cue with up to two more letters), or a phrase."""
    lower = text.casefold()
    words = [_arabic_stem(w) if _is_arabic(w) else w for w in _WORD.findall(lower)]
    found: set[str] = set()
    for word in words:
        for stem in _stems(word):
            found |= _WORD_CUES.get(stem, frozenset())
    for match in _PHRASE_CUES.finditer(" ".join(words)):
        found |= _PHRASE_KINDS[match.group(0)]
    return frozenset(found)


def _stems(word: str) -> Iterator[str]:
    yield word
    if _is_arabic(word):
        yield from (word[:-n] for n in (1, 2) if len(word) - n >= 3)
        return
    for ending in _ENDINGS:
        if ending and word.endswith(ending) and len(word) > len(ending):
            yield word[: -len(ending)]


def _cue(cue: str) -> str:
    return _arabic_stem(cue) if _is_arabic(cue) and " " not in cue else cue.casefold()


_ENDINGS: Final = frozenset(
    [*"s es ed d ing er ers or ors e ion ions ation ations ment ments ies y al als".split(), ""]
)


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


def _term(token: str, *, first: bool, shouting: bool) -> str | None:
    """A word that names something: rare in the language (a name, not "government"), and in
    Latin script written with a capital. A capital that only starts a sentence or shouts a
    headline proves nothing, so there the word must be rarer still."""
    token = token.strip("'’-")
    if _is_arabic(token):
        stem = _arabic_stem(token)
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


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def _arabic_common(token: str) -> bool:
    """Whether an Arabic word is common in the language, with or without its clitic
    ("للحرية" is rare as written, but it is "for the freedom")."""
    bare = _without_clitic(token.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا"))
    forms = (token, bare, "ال" + bare)
    return max(zipf(f, "ar") for f in forms) >= _ARABIC_COMMON


def _without_clitic(word: str) -> str:
    for clitic in _ARABIC_CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            return word[len(clitic) :]
    return word


def _arabic_stem(word: str) -> str:
    """Remove one leading clitic (and, with, for, the) and the feminine/plural endings that
    vary between reports, keeping at least three letters."""
    word = _without_clitic(word.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا"))
    for ending in ("ات", "ون", "ين", "ة", "ه"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _index_cues() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    words: dict[str, set[str]] = {}
    phrases: dict[str, set[str]] = {}
    for kind, cues in _LEXICON.items():
        for cue in map(_cue, cues):
            (phrases if " " in cue else words).setdefault(cue, set()).add(kind)
    return (
        {k: frozenset(v) for k, v in words.items()},
        {k: frozenset(v) for k, v in phrases.items()},
    )


_WORD_CUES, _PHRASE_KINDS = _index_cues()
_PHRASE_CUES: Final = re.compile(
    r"(?<!\S)(?:" + "|".join(map(re.escape, sorted(_PHRASE_KINDS, key=len, reverse=True))) + ")"
)
