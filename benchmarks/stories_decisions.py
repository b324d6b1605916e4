"""Every story grouping decision of several streams, one JSON line each: run it on two codes
and compare the files (`cmp`) to show a change to grouping's speed changed no decision.

Streams: the 100,000 items of `stories.py` then its 5,000 timed reports (with the gazetteer's
towns); the desk fixture (tests/fixtures/stories/desk.jsonl, syria watchlist) in published
order and five shuffled orders; `../shared/eval/dev-stories.jsonl` (when present) in its
published times and three compressed into 72 hours, each with and without towns. A line is
the stream, the member, its story (None: a new one), score, near misses, the quiet reason,
and each evidence's member, score, veto, shared entities, terms, figures, action, similarity.
Run: PYTHONPATH=OTHER/src .venv/bin/python benchmarks/stories_decisions.py OUT [--items N]
(the same PYTHONHASHSEED for both runs: the order of a set's names is part of a sum's order)
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from stories import SPAN, T0, Newsroom, locator, make_items
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist
from wirewatch.model import FeedItem
from wirewatch.stories.grouping import member_of
from wirewatch.stories.index import StoryIndex
from wirewatch.stories.member import Evidence, Member, new_story_id

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
DESK_T0 = datetime(2024, 12, 7, tzinfo=UTC)


def run(out: TextIO, stream: str, index: StoryIndex, members: Iterable[Member]) -> None:
    for m in members:
        d = index.decide(m)
        evidence = [_evidence(e) for e in d.evidence]
        line = [stream, m.key, d.story_id, repr(d.score), d.near_misses, d.reason, evidence]
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        index.add(d.story_id or new_story_id(m.feed, m.item_id), m)


def _evidence(e: Evidence) -> list[object]:
    shared = [e.entities, e.terms, e.figures, e.action]
    return [e.other.key, repr(e.score), e.veto, *shared, repr(e.similarity)]


def bench(items: int) -> Iterator[tuple[str, list[Member]]]:
    rng = random.Random(42)
    yield "bench", [member_of(i.feed, i, (), at) for i, at, _ in make_items(items, rng)]
    newsroom, at = Newsroom(rng), T0 + SPAN
    timed = [newsroom.report()[:2] for _ in range(5000)]
    items_ = [FeedItem(f"bench-{n}", "bench", t, s, published=at) for n, (t, s) in enumerate(timed)]
    yield "timed", [member_of("bench", i, (), at) for i in items_]


def labelled(
    matcher: Matcher, rows: list[dict[str, str]], times: dict[str, datetime]
) -> list[Member]:
    seen = max(times.values()) + timedelta(days=1)
    ordered = sorted(rows, key=lambda r: (times[r["id"]], r["id"]))
    found = []
    for r in ordered:
        item = FeedItem(r["id"], r["feed"], r["title"], r["summary"], published=times[r["id"]])
        found.append(member_of(r["feed"], item, matcher.classify(item).matches, seen))
    return found


def compressed(
    rows: list[dict[str, str]], times: dict[str, datetime], seed: int
) -> dict[str, datetime]:
    """Each story's first item at a random moment of 72 hours, the offsets inside it kept."""
    first: dict[str, datetime] = {}
    for r in sorted(rows, key=lambda r: times[r["id"]]):
        first.setdefault(r["story"], times[r["id"]])
    rng, now = random.Random(seed), datetime(2026, 12, 1, tzinfo=UTC)
    start = {s: now - timedelta(seconds=rng.uniform(0, 72 * 3600)) for s in sorted(first)}
    return {r["id"]: start[r["story"]] + (times[r["id"]] - first[r["story"]]) for r in rows}


def read(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8") as out:
        towns = StoryIndex(locator=locator())
        for stream, members in bench(args.items):
            run(out, stream, towns, members)
        syria = Matcher(load_watchlist(ROOT / "config" / "watchlists" / "syria.yaml"))
        desk = read(ROOT / "tests" / "fixtures" / "stories" / "desk.jsonl")
        at = {r["id"]: DESK_T0 + timedelta(minutes=int(r["minutes"])) for r in desk}
        for seed in range(6):
            order = labelled(syria, desk, at)
            if seed:
                random.Random(seed).shuffle(order)
            run(out, f"desk{seed}", StoryIndex(locator=locator()), order)
        if not SHARED.exists():
            return
        matcher = Matcher(load_watchlist(SHARED / "watchlist.yaml"))
        rows = read(SHARED / "dev-stories.jsonl")
        real = {r["id"]: datetime.fromisoformat(r["published"]) for r in rows}
        for mode in range(4):
            times = compressed(rows, real, mode) if mode else real
            for name, found in (("", None), ("+towns", locator())):
                run(
                    out,
                    f"eval{mode}{name}",
                    StoryIndex(locator=found),
                    labelled(matcher, rows, times),
                )


if __name__ == "__main__":
    main()
