"""Near-duplicate grouping: reports of one event from several outlets become one story.

An item's text (title and summary) is reduced to a set of words: NFKC, casefolded, punctuation
and possessives gone, stopwords dropped, plural and tense endings trimmed, so that "Pedersen
urges talks" and "Pedersen urged talks" share every word. A MinHash of the set (datasketch,
`scheme="affine64"`) goes into a MinHashLSH index whose bands (42 of 3 rows) make a pair at the
merge threshold a candidate 98% of the time; each candidate is then re-checked exactly before a
merge: it must lie within the window (default 48 hours), share at least `min_shared` words and
reach `min_jaccard` (0.45) on the exact sets, and, when both sides name tracked entities, share
one of them ("China calls for calm" and "Iran calls for calm" use one template for two events).
Only the item that founded a story is indexed, so a story cannot drift by chaining.

The signature the store persists is the word set plus the entities (`Signature.encode`), from
which the index is warmed at start. Everything here is synchronous and pure but the index.
"""

from __future__ import annotations

import hashlib
import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SCHEME = "affine64"
DEFAULT_WINDOW = timedelta(hours=48)

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
    """Return the normalised word set of `text`: the unit the story grouping compares."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _POSSESSIVE.sub("", folded)
    words = _WORD.findall(folded.replace("_", " "))
    return frozenset(_stem(w) for w in words if w not in _STOPWORDS)


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
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def new_story_id(feed: str, item_id: str) -> str:
    """A stable story id for a story founded by one item of one feed."""
    digest = hashlib.sha256(f"{feed}\x00{item_id}".encode()).hexdigest()
    return f"st_{digest[:20]}"


@dataclass(frozen=True, slots=True)
class Signature:
    """What grouping compares: the word set of a text and the tracked entities it names."""

    words: frozenset[str]
    entities: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str, entities: Iterable[str] = ()) -> Signature:
        return cls(shingles(text), frozenset(entities))

    def encode(self) -> str:
        """One line for the store: sorted words, then entities marked with "@"."""
        return " ".join([*sorted(self.words), *(f"@{e}" for e in sorted(self.entities))])

    @classmethod
    def decode(cls, line: str) -> Signature:
        """The inverse of `encode`."""
        parts = line.split()
        entities = frozenset(p[1:] for p in parts if p.startswith("@"))
        return cls(frozenset(p for p in parts if not p.startswith("@")), entities)


@dataclass(frozen=True, slots=True)
class _Entry:
    story_id: str
    signature: Signature
    at: datetime


class StoryIndex:
    """Finds the story, if any, that a new item reports within a time window.

    `add` indexes the founding item of a story, `find` proposes a story for a new item, and
    `expire` drops stories founded before a time. Adding an id twice replaces its entry.
    """

    def __init__(
        self,
        *,
        window: timedelta = DEFAULT_WINDOW,
        min_jaccard: float = 0.45,
        min_shared: int = 4,
        bands: tuple[int, int] = (42, 3),
        num_perm: int = NUM_PERM,
    ) -> None:
        self.window = window
        self.min_jaccard = min_jaccard
        self.min_shared = min_shared
        self._num_perm = num_perm
        self._template = MinHash(num_perm=num_perm, scheme=SCHEME)
        self._lsh = MinHashLSH(num_perm=num_perm, params=bands)
        self._entries: dict[str, _Entry] = {}
        self._by_time: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._entries

    def add(
        self, story_id: str, text: str, at: datetime, entities: Iterable[str] = ()
    ) -> Signature:
        """Index the item that founded `story_id`; return its signature for the store."""
        signature = Signature.of(text, entities)
        self.add_signature(story_id, signature, at)
        return signature

    def add_signature(self, story_id: str, signature: Signature, at: datetime) -> None:
        """Index a story from its signature, e.g. when warming from the store."""
        if story_id in self._entries and self._entries[story_id].signature.words:
            self._lsh.remove(story_id)
        self._entries[story_id] = _Entry(story_id, signature, at)
        heapq.heappush(self._by_time, (at, story_id))
        if signature.words:
            self._lsh.insert(story_id, self._minhash(signature.words), check_duplication=False)

    def find(self, text: str, at: datetime, entities: Iterable[str] = ()) -> str | None:
        """Return the story that this item reports, or None when it is a new story."""
        return self.find_signature(Signature.of(text, entities), at)

    def find_signature(self, signature: Signature, at: datetime) -> str | None:
        """`find` for a signature already computed; the best candidate wins, then the oldest."""
        if len(signature.words) < self.min_shared:
            return None
        best: tuple[float, datetime, str] | None = None
        for story_id in self._lsh.query(self._minhash(signature.words)):
            entry = self._entries[story_id]
            score = self._score(signature, entry, at)
            if score is not None and (best is None or (-score, entry.at) < (-best[0], best[1])):
                best = (score, entry.at, story_id)
        return best[2] if best else None

    def expire(self, before: datetime) -> int:
        """Forget stories founded before `before`; return how many were dropped."""
        dropped = 0
        while self._by_time and self._by_time[0][0] < before:
            at, story_id = heapq.heappop(self._by_time)
            entry = self._entries.get(story_id)
            if entry is not None and entry.at == at:
                del self._entries[story_id]
                if entry.signature.words:
                    self._lsh.remove(story_id)
                dropped += 1
        return dropped

    def _score(self, signature: Signature, entry: _Entry, at: datetime) -> float | None:
        """The exact re-check of one LSH candidate; its Jaccard score, or None to reject."""
        theirs = entry.signature
        if abs(at - entry.at) > self.window:
            return None
        if signature.entities and theirs.entities and not signature.entities & theirs.entities:
            return None
        if len(signature.words & theirs.words) < self.min_shared:
            return None
        score = jaccard(signature.words, theirs.words)
        return score if score >= self.min_jaccard else None

    def _minhash(self, words: frozenset[str]) -> MinHash:
        minhash = MinHash(
            num_perm=self._num_perm, scheme=SCHEME, permutations=self._template.permutations
        )
        minhash.update_batch([w.encode() for w in words])
        return minhash
