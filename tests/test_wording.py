"""Rewrite candidates: the stories whose reports share a MinHash band with a new report."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from datasketch import MinHash, MinHashLSH

from wirewatch.stories.index import _CANDIDATES, StoryIndex
from wirewatch.stories.member import Member
from wirewatch.stories.wording import BANDS, NUM_PERM, SCHEME, Rewrites

T0 = datetime(2024, 12, 1, tzinfo=UTC)
VOCABULARY = [f"w{n}" for n in range(40)]  # few words: many reports share bands


def word_sets(count: int, seed: int) -> list[frozenset[str]]:
    rng = random.Random(seed)
    return [frozenset(rng.sample(VOCABULARY, rng.randint(4, 9))) for _ in range(count)]


def minhash(words: frozenset[str]) -> MinHash:
    found = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    found.update_batch([w.encode() for w in words])
    return found


def test_stories_counts_the_reports_a_minhash_lsh_with_the_same_bands_finds() -> None:
    """For every query, the count per story is what datasketch's MinHashLSH (42 bands of 3)
    returns, mapped to the reports' stories, also after some reports are removed."""
    sets = word_sets(400, seed=1)
    rewrites, lsh = Rewrites(), MinHashLSH(num_perm=NUM_PERM, params=BANDS)
    story_of = {f"k{n}": f"s{n // 3}" for n in range(len(sets))}
    for n, words in enumerate(sets):
        rewrites.add(f"k{n}", words, story_of[f"k{n}"])
        lsh.insert(f"k{n}", minhash(words))
    for n in range(0, len(sets), 4):
        rewrites.remove(f"k{n}")
        lsh.remove(f"k{n}")
    queries = word_sets(60, seed=2)
    expected = [Counter(story_of[k] for k in lsh.query(minhash(q))) for q in queries]
    assert expected == [rewrites.stories(q) for q in queries]
    assert max(len(found) for found in expected) > 12  # many stories per query, as busy days


class EveryStory(StoryIndex):
    """Ranks every story a rewrite may belong to, as the index did before it kept only the
    best of those that names did not find."""

    def _rewritten(self, member: Member, found: dict[str, float]) -> list[tuple[float, str]]:
        since, until = member.at - self.window, member.at + self.window
        for story_id, hits in self._rewrites.stories(member.words).items():
            if self._open_for(story_id, since, until):
                for _ in range(hits):
                    found[story_id] = found.get(story_id, 0.0) + 100.0
        return []


def reports(count: int, seed: int) -> list[Member]:
    """Reports over five days, a stream where each report shares bands with dozens of
    stories: half of them rewrite one of the last 30 (a word replaced), some name entities."""
    rng = random.Random(seed)
    found: list[Member] = []
    for n, words in enumerate(word_sets(count, seed)):
        if found and rng.random() < 0.5:
            old = sorted(rng.choice(found[-30:]).words)
            old[rng.randrange(len(old))] = rng.choice(VOCABULARY)
            words = frozenset(old)
        text = " ".join(sorted(words))
        at = T0 + timedelta(minutes=15 * n + rng.randint(-600, 600))
        entities = [f"e{rng.randrange(5)}"] if n % 2 else []
        found.append(Member.of(f"feed{n % 40}", f"i{n}", text, at, entities, title=text))
    return found


def test_keeping_the_best_rewrite_candidates_decides_as_ranking_them_all() -> None:
    """Stories fall out of the 48-hour window, and many share a band with each report: every
    decision, evidence and near miss is the same as when every candidate story is ranked."""
    pruned, every = StoryIndex(), EveryStory()
    decided, crowded = [], 0
    for n, report in enumerate(reports(500, seed=4)):
        crowded += len(pruned._rewrites.stories(report.words)) > _CANDIDATES
        decision = pruned.decide(report)
        decided.append((decision, every.decide(report)))
        story = decision.story_id or f"story-{n}"
        pruned.add(story, report)
        every.add(story, report)
    assert [b for _, b in decided] == [a for a, _ in decided]
    assert (True, True) == (crowded > 250, sum(1 for d, _ in decided if d.story_id) > 20)
