"""A report as story grouping compares it (`Member`), and what a comparison or a decision
says (`Evidence`, `Decision`); the word sets behind wording similarity.

Pure values: `StoryIndex` (index.py) files members and decides, `grouping` builds them from
classified items.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from wirewatch.stories.events import Event, event_of, name_phrases

_WORD = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"['’‘`´]s\b")
_STOPWORD_TEXT = """
a about after again against all also an and any are as at be been before being but by
can could did do does during each for from had has have he her here his how i if in into is
it its just me more my new no nor not now of off on once only or other our out over own said
says same she should so some such than that the their them then there these they this those
through to too under until up very was we were what when where which while who whom why will
with would you your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = ("ing", "ed", "es", "s")


def shingles(text: str) -> frozenset[str]:
    """Return the normalised word set of `text`: the words grouping compares."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _POSSESSIVE.sub("", folded)
    words = _WORD.findall(folded.replace("_", " "))
    return frozenset(_stem(w) for w in words if w not in _STOPWORDS)


@functools.lru_cache(maxsize=65536)  # the same words recur report after report
def _stem(word: str) -> str:
    """Trim one inflection, then a final "e" or "y", from Latin-script words: a crude but
    consistent conflation ("urged", "urges", "urge" -> "urg"; "parties", "party" -> "parti")."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha() or word.endswith("ss"):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] in "ey":
        return word[:-1] + ("i" if word[-1] == "y" else "")
    return word


def item_text(title: str, summary: str) -> str:
    """The text of an item that grouping looks at."""
    return f"{title}\n{summary}"


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Exact Jaccard similarity of two sets; 0.0 when both are empty."""
    shared = len(a & b)
    union = len(a) + len(b) - shared  # counted, not built: one set fewer per comparison
    return shared / union if union else 0.0


def new_story_id(feed: str, item_id: str) -> str:
    """A stable story id for a story founded by one item of one feed."""
    digest = hashlib.sha256(f"{feed}\x00{item_id}".encode()).hexdigest()
    return f"st_{digest[:20]}"


@dataclass(frozen=True, slots=True)
class Member:
    """One report, as grouping compares it."""

    feed: str
    item_id: str
    at: datetime
    event: Event
    words: frozenset[str]
    title: str = ""
    where: frozenset[str] = frozenset()
    """The names that may be towns: the watched places as written, and the rare names."""

    @classmethod
    def of(
        cls,
        feed: str,
        item_id: str,
        text: str,
        at: datetime,
        entities: Iterable[str] = (),
        named: Iterable[str] = (),
        title: str = "",
        places: Iterable[str] = (),
        place_names: Iterable[str] = (),
    ) -> Member:
        """Build a member from an item's text, the entities found in it and the text that named
        them (names already counted as entities are not counted again as names); `places` are
        the entities that are places, `place_names` the text that named them."""
        event = event_of(text, entities, named, places)
        where = event.terms | frozenset(place_names) | name_phrases(text)
        return cls(feed, item_id, at, event, shingles(text), title, where)

    @property
    def key(self) -> str:
        """The member's identity: its feed and item id."""
        return f"{self.feed}\x00{self.item_id}"

    @property
    def keys(self) -> frozenset[str]:
        """What the inverted index files this member under."""
        event = self.event
        return frozenset(
            [f"e:{e}" for e in event.entities]
            + [f"t:{t}" for t in event.terms]
            + [f"f:{f}" for f in event.figures]
        )

    @property
    def counted(self) -> frozenset[str]:
        """What the index counts the rarity of: the keys, its action family, and itself."""
        action = (f"a:{self.event.action}",) if self.event.action else ()
        return self.keys | set(action)

    def signature(self) -> str:
        """One line for the store: the member's event, which `explain` can read back."""
        e = self.event
        parts = [f"@{x}" for x in sorted(e.entities)] + [f"!{x}" for x in sorted(e.actions)]
        return " ".join(parts + [f"#{x}" for x in sorted(e.figures)] + sorted(e.terms))


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why one member does or does not report the same event as another."""

    other: Member
    score: float
    entities: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    action: str | None = None
    similarity: float = 0.0
    gap: timedelta = timedelta(0)
    veto: str | None = None
    alone: bool = False
    """The other's story is the only one of those days that reports this kind of action."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Where grouping puts a member: the story it joins (None: a new one) and why."""

    story_id: str | None
    score: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    near_misses: tuple[tuple[str, float, str], ...] = ()
    """(story id, score, reason) of the closest stories it did not join."""
    reason: str = ""
    """Why it joined when the score alone did not make it (a quiet story)."""
