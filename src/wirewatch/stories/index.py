"""Story grouping by event: reports of one real-world event from several outlets become one story.

Each alerting item becomes a `Member`: its `events.Event` (canonical entities, action kinds,
names, figures), its content words and the time it reports (its published time, or the time it
was seen when it has none or claims the future). A new member is compared with the *whole* of
every open story, not only with the item that founded it:

1. Candidates are the stories that share an entity, a name or a figure with it (an inverted
   index), or that alone report its kind of action (`alone_with`), within the window of it.
2. Against each member of a candidate, `compare` weighs the evidence: shared entities and names,
   weighted by how rare they are among the indexed members (sharing "Damascus" says less than
   sharing "Azaz"); shared figures; the same kind of action; word overlap; minus the time gap.
   It vetoes the pair when the two report incompatible kinds of action ("enter" and "leave",
   a deal and its suspension) or different figures of the same size (88.7 against 95.1).
3. A story's score mixes the best and the mean member score, so that one loose link cannot
   chain unrelated events; any member that vetoes the item keeps it out of that story.
4. The best story at or above the threshold wins, then the oldest; else, when one story alone
   has reports within hours of the item, weaker evidence joins it (`quiet`); else the item
   opens a story of its own. Two reports of one outlet are two events unless one rewrites
   the other.

Everything here is synchronous, pure and deterministic: the same members added in the same
order give the same decisions, and `explain` reproduces why an item joined or did not.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wirewatch.stories import evidence as rules
from wirewatch.stories.actions import BACKGROUND, compatible
from wirewatch.stories.member import Decision, Evidence, Member, jaccard
from wirewatch.stories.places import DEFAULT_KM, Locates, Whereabouts
from wirewatch.stories.quiet import QUIET_REASON, Timeline, one_of, quiet_join
from wirewatch.stories.wording import Rewrites

DEFAULT_WINDOW = timedelta(hours=48)
DEFAULT_THRESHOLD = 0.5
# One unit of evidence is about one shared rare name; `threshold` 0.5 asks for 1.2 units.
_SCALE = 2.4
_ENTITY_WEIGHT = 0.6
_ACTION_WEIGHT = 1.0
_PRIOR = 20
_SAME_WORDING = 0.45
_MIN_SHARED = 4
_SURE = 2.0
_MARGIN = 1.0
_MAX_POSTINGS = 500
_CANDIDATES = 12
_REWRITE_RANK = 100.0  # a likely rewrite is scored before any story found by names
_COMPARED = 24
_Posting = tuple[datetime, str, str, str]  # (time, feed, item id, story id) under one key
_WORDS_WEIGHT = 3.0
_DECAY_PER_DAY = 2.0  # reports of one event fall within about a day of each other
_TOWN_WEIGHT = 1.0


@dataclass(slots=True)
class _Story:
    members: list[Member] = field(default_factory=list)
    newest: datetime | None = None
    oldest: datetime | None = None


class StoryIndex:
    """The open stories, their members, and how rare each name is among them.

    `decide` proposes a story for a new member without changing anything, `add` files a member
    under a story, `expire` forgets stories whose newest member is older than a time.
    """

    def __init__(
        self,
        *,
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = DEFAULT_THRESHOLD,
        locator: Locates | None = None,
        far_km: float = DEFAULT_KM,
    ) -> None:
        self.window = window
        self.threshold = threshold
        self.locator = locator
        self.far_km = far_km
        self._towns = Whereabouts(locator, far_km)
        self._stories: dict[str, _Story] = {}
        self._posted: dict[str, list[_Posting]] = {}
        """key -> the members filed under it, in time order: candidates and rarity."""
        self._rewrites = Rewrites()
        self._known: set[tuple[str, str]] = set()
        self._cached: tuple[Member, dict[str, float]] | None = None
        self._timeline = Timeline()

    def __len__(self) -> int:
        return len(self._stories)

    @property
    def threshold_score(self) -> float:
        """The story score at which a member joins (`threshold` on the evidence scale)."""
        return self.threshold * _SCALE

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._stories

    def has_member(self, feed: str, item_id: str) -> bool:
        return (feed, item_id) in self._known

    def members(self, story_id: str) -> tuple[Member, ...]:
        return tuple(self._stories[story_id].members) if story_id in self._stories else ()

    def add(self, story_id: str, member: Member) -> None:
        """File `member` under `story_id` (a member already filed is ignored)."""
        if (member.feed, member.item_id) in self._known:
            return
        self._known.add((member.feed, member.item_id))
        story = self._stories.setdefault(story_id, _Story())
        story.members.append(member)
        story.newest = member.at if story.newest is None else max(story.newest, member.at)
        story.oldest = member.at if story.oldest is None else min(story.oldest, member.at)
        posting = (member.at, member.feed, member.item_id, story_id)
        self._cached = None
        self._timeline.add(member, story_id)
        self._towns.file(member)
        for key in self._counted(member):
            insort(self._posted.setdefault(key, []), posting)
        if len(member.words) >= _MIN_SHARED:
            self._rewrites.add(member.key, member.words, story_id)

    def remove(self, story_id: str, member: Member) -> None:
        """Undo `add` (when the ingest that recorded the member failed)."""
        story = self._stories.get(story_id)
        if story is None or member not in story.members:
            return
        story.members.remove(member)
        self._unfile(story_id, member)
        if not story.members:
            del self._stories[story_id]

    def decide(self, member: Member) -> Decision:
        """The story `member` reports, or a decision to open a new one, with the evidence."""
        threshold = self.threshold_score
        scored = []
        for story_id in self._candidates(member):
            score, evidence = self.score(member, story_id, every=False)
            first = self._stories[story_id].members[0].at
            scored.append((score, first, story_id, evidence))
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        misses = tuple(
            (sid, round(score, 3), rules.miss_reason(score, threshold, ev))
            for score, _, sid, ev in scored
            if score < threshold
        )[:3]
        if scored and scored[0][0] >= threshold:
            score, _, story_id, evidence = scored[0]
            rivals = [s for s, _, _, _ in scored[1:] if s >= threshold]
            if rivals and score < _SURE * threshold and score - rivals[0] < _MARGIN:
                reason = f"as close to {scored[1][2]} ({rivals[0]:.2f}) as to {story_id}"
                return Decision(None, 0.0, (), ((story_id, round(score, 3), reason), *misses))
            return Decision(story_id, score, evidence, misses)
        quiet = self._timeline.only_story(member.at)
        if quiet is not None and (found := quiet_join(member, self.members(quiet), self.compare)):
            return Decision(quiet, threshold, found, misses, QUIET_REASON)
        return Decision(None, 0.0, (), misses)

    def expire(self, before: datetime) -> int:
        """Forget stories whose newest member is older than `before`; return how many."""
        old = [sid for sid, s in self._stories.items() if s.newest and s.newest < before]
        for story_id in old:
            for member in self._stories.pop(story_id).members:
                self._unfile(story_id, member)
        return len(old)

    def _unfile(self, story_id: str, member: Member) -> None:
        self._known.discard((member.feed, member.item_id))
        posting = (member.at, member.feed, member.item_id, story_id)
        self._cached = None
        self._timeline.remove(member, story_id)
        for key in self._counted(member):
            postings = self._posted[key]
            del postings[bisect_left(postings, posting)]
            if not postings:
                del self._posted[key]
        self._rewrites.remove(member.key)
        self._towns.forget(member)

    def compare(self, member: Member, other: Member, *, kind_alone: bool = False) -> Evidence:
        """The evidence that `member` and `other` report one event (see the module docstring);
        with `kind_alone` (`other`'s story is `alone_with` it), the action counts as a name."""
        gap = abs(member.at - other.at)
        a, b = member.event, other.event
        entities = tuple(sorted(a.entities & b.entities))
        terms = tuple(sorted(a.terms & b.terms))
        figures = tuple(sorted(a.figures & b.figures))
        pa, pb = a.action, b.action
        veto = rules.veto(gap, self.window, pa, pb, a, b) or self._towns.far(member, other)
        veto = veto or rules.same_outlet(member, other, _SAME_WORDING)
        if veto:  # no need to weigh the rest
            return Evidence(other, -math.inf, entities, terms, figures, None, 0.0, gap, veto)
        similarity = jaccard(member.words, other.words)
        rarity = self._rarity(member)
        score = _ENTITY_WEIGHT * sum(rarity[f"e:{e}"] for e in entities)
        score += sum(rarity[f"t:{t}"] * rules.term_weight(t) for t in terms)
        score += sum(rarity[f"f:{f}"] for f in figures)
        if not (entities or terms) and (towns := self._towns.shared(member, other)):
            terms = tuple(sorted(towns))  # one town, named in two scripts
            score += _TOWN_WEIGHT * sum(rarity[t] for t in towns)
        acted = bool(pa and pb and (compatible(pa, pb) or rules.two_sides(pa, pb, a, b)))
        if acted:
            same = 1.0 if pa == pb else 0.5
            score += same * _ACTION_WEIGHT * rarity[f"a:{pa}"]
        same_wording = (
            similarity >= _SAME_WORDING and len(member.words & other.words) >= _MIN_SHARED
        )
        if same_wording:
            score += _SCALE  # one report rewritten: as good as any evidence
        score += _WORDS_WEIGHT * similarity - _DECAY_PER_DAY * gap.total_seconds() / 86400
        alone = kind_alone and pa == pb
        named = bool(entities or terms or alone)
        kinds = sum((named, len(entities) >= 2, bool(figures), acted, similarity >= 0.3))
        if not (named or figures):
            veto = "nothing named in common"
        elif kinds < 2 and not same_wording:
            veto = "one kind of evidence only"
        elif not same_wording and rules.other_actors(a, b):
            veto = rules.OTHER_ACTORS
        action = pa if pa == pb else None
        return Evidence(
            other, score, entities, terms, figures, action, similarity, gap, veto, alone
        )

    def _counted(self, member: Member) -> frozenset[str]:
        return member.counted | self._towns.keys(member)

    def _candidates(self, member: Member) -> list[str]:
        """The stories most worth scoring: those with a member in the window that shares a key,
        ranked by the rarity of what they share (keys too common in the window to tell events
        apart find no candidates by themselves, but still count in the score)."""
        rarity = self._rarity(member)
        found: dict[str, float] = {}
        for key in member.keys | self._towns.keys(member):
            postings, low, high = self._in_window(key, member.at)
            if high - low > _MAX_POSTINGS:
                continue
            weight = rarity[key]
            for _, _, _, story_id in postings[low:high]:
                found[story_id] = found.get(story_id, 0.0) + weight
        if (kind := self.alone_with(member)) is not None:  # by its words, then its action
            found.setdefault(kind, 0.0)
        best = self._rewritten(member, found) if len(member.words) >= _MIN_SHARED else []
        if kind is not None:
            found[kind] += rarity[f"a:{member.event.action}"]
        ranked = heapq.nsmallest(_CANDIDATES, [(-r, sid) for sid, r in found.items()] + best)
        return [story_id for _, story_id in ranked]

    def _rewritten(self, member: Member, found: dict[str, float]) -> list[tuple[float, str]]:
        """Rank the open stories whose members `member` may rewrite, 100 a member: added to
        those names found (`found`, in place); of the rest, return the best `_CANDIDATES`."""
        since, until = member.at - self.window, member.at + self.window
        hits = self._rewrites.stories(member.words)
        for story_id in hits.keys() & found.keys():
            if self._open_for(story_id, since, until):
                for _ in range(hits[story_id]):  # a sum of floats, added one member at a time
                    found[story_id] += _REWRITE_RANK
        by_words = [(-_REWRITE_RANK * n, sid) for sid, n in hits.items() if sid not in found]
        best = heapq.nsmallest(_CANDIDATES, by_words)  # nearly always open: checked after
        if not all(self._open_for(sid, since, until) for _, sid in best):
            opened = [r for r in by_words if self._open_for(r[1], since, until)]
            best = heapq.nsmallest(_CANDIDATES, opened)
        return best

    def _open_for(self, story_id: str, since: datetime, until: datetime) -> bool:
        """Whether the story has a member between `since` and `until` (by its time span)."""
        story = self._stories[story_id]
        if story.newest is None or story.oldest is None:
            return False
        return story.newest >= since and story.oldest <= until

    def _in_window(self, key: str, at: datetime) -> tuple[list[_Posting], int, int]:
        """The postings of `key` and the bounds of those within the window of `at` (bounds,
        not a slice: counting a key that thousands of members share copies nothing)."""
        postings = self._posted.get(key, [])
        low = bisect_left(postings, (at - self.window,))
        high = bisect_right(postings, (at + self.window, "\uffff"), low)
        return postings, low, high

    def score(
        self, member: Member, story_id: str, *, every: bool = True
    ) -> tuple[float, tuple[Evidence, ...]]:
        """How well `member` fits the story: -inf when a member in the window vetoes it or none
        counts, else a mix of the best and the mean member score; with each member's evidence
        (with `every` False, only up to the first veto, and only members in the window)."""
        members = self._stories[story_id].members if story_id in self._stories else []
        if not every:  # the members nearest in time within the window, at most a few dozen
            near = [m for m in members if abs(member.at - m.at) <= self.window]
            members = heapq.nsmallest(_COMPARED, near, key=lambda m: abs(member.at - m.at))
        found, alone = [], self.alone_with(member) == story_id
        for other in members:
            if other is member:
                continue
            found.append(self.compare(member, other, kind_alone=alone))
            if not every and found[-1].veto and found[-1].veto not in rules.WEAK_VETOES:
                break  # rules.story_score: -inf
        return rules.story_score(tuple(found), self.window), tuple(found)

    def alone_with(self, member: Member) -> str | None:
        """The story that alone reports `member`'s kind of action within the window of it (the
        one quake, the one election of those days), unless that kind is the everyday of a war
        (`actions.BACKGROUND`); None when none or several do."""
        action = member.event.action
        if action is None or action in BACKGROUND:
            return None
        postings, low, high = self._in_window(f"a:{action}", member.at)
        return one_of(postings[position][3] for position in range(low, high))

    def _rarity(self, member: Member) -> dict[str, float]:
        """How much sharing each key of `member` says, from the count n of reports within the
        window of it that have the key: log(1 + 20 / (n + 1)), 2.4 for a name no other report
        of those days has, 0.1 for one that 250 share (a count, not a share: on a busy day, a
        place that hundreds of reports name tells no event). Cached for the member decided."""
        if self._cached is not None and self._cached[0] is member:
            return self._cached[1]
        rarity = {}
        for key in self._counted(member):
            _, low, high = self._in_window(key, member.at)
            rarity[key] = math.log(1 + _PRIOR / (high - low + 1))
        self._cached = (member, rarity)
        return rarity
