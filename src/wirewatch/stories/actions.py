"""The kinds of action a report names (a small English and Arabic lexicon modelled on CAMEO,
the event codebook GDELT uses), their families, and which families can report one event.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
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
    "sanction": ("sanction | embargo | العقوبات | عقوبات"),
    "lift": (
        "lift | lifts | lifted | lifting | ease sanctions | eases sanctions | scrap | scraps | "
        "scrapped | رفع | يرفع | ترفع"
    ),
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
    "lift": "lift",
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
# vote and the appointment it makes, a toll of a strike, a clash, a shooting or a quake, a
# suspension (of a membership) as a sanction.
_COMPATIBLE: Final[frozenset[frozenset[str]]] = frozenset(
    frozenset(pair)
    for pair in (
        ("vote", "appoint"),
        ("protest", "attack"),
        ("kill", "attack"),
        ("kill", "fight"),
        ("kill", "protest"),
        ("kill", "quake"),
        ("sanction", "suspend"),
    )
)

# Zipf frequencies above which a word is too common to name an event: Latin words with a
# capital inside a sentence, Latin words at the start of one or in capitals, Arabic words.
_WORD: Final = re.compile(r"[\w'’-]+")
ARABIC_CLITICS: Final = ("وال", "بال", "لل", "فال", "كال", "ال", "و", "ب", "ل", "ف")


# The everyday of a war and its diplomacy: a report of a strike, a toll, a clash, a rally, a
# capture, a withdrawal, a meeting or a visit does not say which one (an offensive takes a
# town a day; envoys meet every day). Any other kind of action (a quake, a vote, a release,
# an appointment, sanctions imposed or lifted) names its event when no other story of those
# days reports that kind.
BACKGROUND: Final[frozenset[str]] = frozenset(
    {"attack", "kill", "fight", "protest", "control", "leave", "meet", "visit"}
)


def compatible(a: str | None, b: str | None) -> bool:
    """Whether two action families can report one event (an unknown one goes with any)."""
    return a is None or b is None or a == b or frozenset((a, b)) in _COMPATIBLE


def family_of(actions: frozenset[str]) -> str | None:
    return next((_FAMILY[a] for a in _PRIORITY if a in actions), None)


def actions_in(text: str) -> frozenset[str]:
    """The action classes named in `text`: a word that is a cue or a cue with an inflection
    ("strikes", "seized", "shelling"; an Arabic cue with up to two more letters), or a phrase."""
    lower = text.casefold()
    words = [arabic_stem(w) if is_arabic(w) else w for w in _WORD.findall(lower)]
    found: set[str] = set()
    for word in words:
        found |= _word_kinds(word)
    for match in _PHRASE_CUES.finditer(" ".join(words)):
        found |= _PHRASE_KINDS[match.group(0)]
    return frozenset(found)


@functools.lru_cache(maxsize=65536)
def _word_kinds(word: str) -> frozenset[str]:
    """The classes `word` is a cue of (cached: the same words recur report after report)."""
    return frozenset().union(*(_WORD_CUES.get(stem, frozenset()) for stem in _stems(word)))


def _stems(word: str) -> Iterator[str]:
    yield word
    if is_arabic(word):
        yield from (word[:-n] for n in (1, 2) if len(word) - n >= 3)
        return
    for ending in _ENDINGS:
        if ending and word.endswith(ending) and len(word) > len(ending):
            yield word[: -len(ending)]


def _cue(cue: str) -> str:
    return arabic_stem(cue) if is_arabic(cue) and " " not in cue else cue.casefold()


_ENDINGS: Final = frozenset(
    [*"s es ed d ing er ers or ors e ion ions ation ations ment ments ies y al als".split(), ""]
)


def is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def without_clitic(word: str) -> str:
    for clitic in ARABIC_CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            return word[len(clitic) :]
    return word


def arabic_stem(word: str) -> str:
    """Remove one leading clitic (and, with, for, the) and the feminine/plural endings that
    vary between reports, keeping at least three letters."""
    word = without_clitic(word.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا"))
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
