"""Classifier figures: 5,000 entities x 4 names, 20,000 news-length items.

Prints: matcher build time, in-process items/s on one core, and the CLI end to end (start-up
included) on the same items, over RUNS runs (default 5) because this VM's speed varies.
Run: .venv/bin/python benchmarks/classify.py [RUNS]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import parse_watchlist
from wirewatch.model import FeedItem

SYLLABLES = (
    "ba da ka la ma na ra sa ta za bi di ki li mi ni ri si ti zi bu du ku lu mu nu ru su".split()
)
FILLER = (
    "the government said on friday that forces had moved toward the city after days of "
    "fighting while officials warned of shortages and aid groups called for access to "
    "civilians in the region as talks resumed between the parties"
).split()


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def watchlist(rng: random.Random, entities: int = 5000) -> dict[str, object]:
    rows = []
    for i in range(entities):
        base = word(rng, 3)
        names = [base, f"{base} {word(rng, 2)}", f"al-{word(rng, 3)}", word(rng, 4)]
        rows.append({"id": f"e{i}", "kind": "place" if i % 2 else "actor", "names": names})
    return {"name": "bench", "entities": rows}


def items(rng: random.Random, names: list[str], count: int = 20000) -> list[dict[str, str]]:
    out = []
    for i in range(count):
        words = [rng.choice(FILLER) for _ in range(80)]
        for _ in range(2):
            words.insert(rng.randrange(len(words)), rng.choice(names))
        text = " ".join(words)
        out.append({"id": f"i{i}", "title": text[:90].capitalize(), "summary": text})
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rng = random.Random(7)
    raw = watchlist(rng)
    names = [n for e in raw["entities"] for n in e["names"]]  # type: ignore[attr-defined]
    rows = items(rng, names)
    size = sum(len(r["title"]) + len(r["summary"]) for r in rows)
    print(f"watchlist: 5000 entities, {len(names)} names; items: {len(rows)}, {size / 1e6:.1f} MB")

    t0 = time.perf_counter()
    matcher = Matcher(parse_watchlist(raw, source="bench"))
    print(f"matcher built in {time.perf_counter() - t0:.2f} s (incl. validation)")

    feed_items = [FeedItem(id=r["id"], title=r["title"], summary=r["summary"]) for r in rows]
    t0 = time.process_time()
    alerts = sum(matcher.classify(item).alert for item in feed_items)
    cpu = time.process_time() - t0
    print(
        f"in-process: {len(rows) / cpu:,.0f} items/s on one core "
        f"({cpu / len(rows) * 1e6:.1f} us/item, {size / cpu / 1e6:.1f} MB/s), {alerts} alerts"
    )

    with tempfile.TemporaryDirectory() as tmp:
        wl, data = Path(tmp, "w.yaml"), Path(tmp, "items.jsonl")
        wl.write_text(yaml.safe_dump(raw), encoding="utf-8")
        data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        command = [sys.executable, "-m", "wirewatch", "classify", "--watchlist", str(wl)]
        command += ["--input", str(data)]
        walls: dict[str, list[float]] = {"first": [], "cached": []}
        for run in range(runs):
            env = dict(os.environ, WIREWATCH_CACHE_DIR=str(Path(tmp, f"cache{run}")))
            for label in walls:  # a fresh cache: the first run compiles, the next one loads
                t0 = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
                walls[label].append(time.perf_counter() - t0)
        for label, text in (
            ("first", "first run, compiles the watchlist"),
            ("cached", "next run, compiled watchlist cached"),
        ):
            rates = sorted(len(rows) / wall for wall in walls[label])
            print(
                f"CLI end to end ({text}): median {statistics.median(walls[label]):.2f} s "
                f"= {statistics.median(rates):,.0f} items/s; {len(rates)} runs "
                f"{rates[0]:,.0f}-{rates[-1]:,.0f} items/s"
            )


if __name__ == "__main__":
    main()
