"""The rules that keep two reports apart whatever they share (vetoes), and how a near miss is
explained: the parts of `StoryIndex.compare` that need no index."""

from __future__ import annotations

import math
from datetime import timedelta

from wirewatch.stories.actions import compatible
from wirewatch.stories.events import Event, figures_conflict
from wirewatch.stories.member import Evidence, Member, jaccard

OTHER_ACTORS = "other actors, and only places in common"
WEAK_VETOES = frozenset({"nothing named in common", "one kind of evidence only", OTHER_ACTORS})
"""Reasons that keep a pair from counting, but do not keep the item out of the story."""
_ARABIC_TERM_WEIGHT = 0.5
_BEST_SHARE = 0.3


def veto(
    gap: timedelta, window: timedelta, pa: str | None, pb: str | None, a: Event, b: Event
) -> str | None:
    if gap > window:
        return f"more than {window} apart"
    if not compatible(pa, pb) and not two_sides(pa, pb, a, b):
        return f"different actions ({pa} / {pb})"
    if figures_conflict(a.figures, b.figures):
        return "different figures"
    if a.looks_back != b.looks_back:
        return "a look back years on, and a report"
    return None


def two_sides(pa: str | None, pb: str | None, a: Event, b: Event) -> bool:
    """Whether a capture and a withdrawal can be one event told from its two sides: both titles
    tell it (a summary's "after the army left" is background) and no actor is named by both
    ("rebels capture Bosra", "regime forces pull out of Bosra")."""
    if {pa, pb} != {"control", "leave"} or not (a.titled and b.titled):
        return False
    return not (a.entities - a.places) & (b.entities - b.places)


def other_actors(a: Event, b: Event) -> bool:
    """Whether two reports name actors, none of them the same, and share nothing but watched
    places (a UN envoy's talks in Damascus and a Russian delegation's, on one day): then what
    they share says where, not who, and the pair does not count."""
    actors_a, actors_b = a.entities - a.places, b.entities - b.places
    only_places = not (a.terms & b.terms or a.figures & b.figures)
    return bool(actors_a and actors_b) and not actors_a & actors_b and only_places


def same_outlet(a: Member, b: Member, rewrite: float) -> str | None:
    """Why two reports of one outlet are two events (None for two outlets, or when one rewrites
    the other: word overlap at least `rewrite`)."""
    if a.feed == b.feed and jaccard(a.words, b.words) < rewrite:
        return "another report of the same outlet"
    return None


def term_weight(term: str) -> float:
    return _ARABIC_TERM_WEIGHT if any("\u0600" <= ch <= "\u06ff" for ch in term) else 1.0


def miss_reason(score: float, threshold: float, evidence: tuple[Evidence, ...]) -> str:
    vetoes = [e.veto for e in evidence if e.veto and e.veto not in WEAK_VETOES]
    if vetoes:
        return vetoes[0]
    if score == -math.inf:
        weak = [e.veto for e in evidence if e.veto]
        return weak[0] if weak else "nothing in common"
    return f"score {score:.2f} below {threshold:.2f}"


def story_score(evidence: tuple[Evidence, ...], window: timedelta) -> float:
    """How well an item fits a story, from its evidence against the story's members: -inf
    when a member within `window` vetoes it or none counts, else a mix of the best and the
    mean member score (so that one loose link cannot chain unrelated events)."""
    in_window = [e for e in evidence if e.gap <= window]
    if any(e.veto and e.veto not in WEAK_VETOES for e in in_window):
        return -math.inf
    scores = [e.score for e in in_window if not e.veto]
    if not scores:
        return -math.inf
    mean = sum(e.score if not e.veto else 0.0 for e in in_window) / len(in_window)
    return _BEST_SHARE * max(scores) + (1 - _BEST_SHARE) * mean
