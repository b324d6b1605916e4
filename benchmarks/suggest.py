"""`watchlist suggest` against hand-made watchlists: recall, precision, Arabic names, time.

    .venv/bin/python benchmarks/suggest.py

Scores the seed article (../shared/article/, or $WIREWATCH_SHARED/article) against the shipped
config/watchlists/syria.yaml and ../shared/eval/watchlist.yaml (skipped when absent), and the
held-out articles in tests/fixtures/suggest/ against their hand-made lists. Targets (issue 17):
recall >= 0.9, precision >= 0.8, Arabic names for >= 70 % of places, < 2 s per article
including the gazetteer load once its index is built.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wirewatch.config.yamlfile import load
from wirewatch.gazetteer import open_gazetteer
from wirewatch.match.watchlist import Watchlist, load_watchlist, parse_watchlist
from wirewatch.suggest import suggest_watchlist
from wirewatch.suggest.score import score

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WIREWATCH_SHARED", ROOT.parent / "shared"))
FIXTURES = ROOT / "tests" / "fixtures" / "suggest"


def suggested(text: str, cache: Path) -> tuple[Watchlist, float]:
    started = time.perf_counter()
    gazetteer = open_gazetteer(cache)
    yaml_text = suggest_watchlist(text, gazetteer, name="suggested", source="benchmark")
    elapsed = time.perf_counter() - started
    gazetteer.close()
    return parse_watchlist(load(yaml_text), source="suggested"), elapsed


def report(label: str, ours: Watchlist, analyst: Watchlist, others: list[Watchlist]) -> None:
    s = score(ours, analyst, others)
    print(f"{label:<34} recall {s.recall:.3f}  precision {s.precision:.3f}  arabic {s.arabic:.3f}"
          f"  missed {list(s.missed)}  extra {list(s.extra)}")  # fmt: skip


def main() -> None:
    cache = Path(os.environ.get("WIREWATCH_CACHE_DIR") or tempfile.mkdtemp(prefix="ww-gaz-"))
    started = time.perf_counter()
    open_gazetteer(cache).close()
    print(f"gazetteer index: ready in {time.perf_counter() - started:.1f} s (built if absent)")
    articles = sorted((SHARED / "article").glob("*.txt")) if (SHARED / "article").is_dir() else []
    if articles:
        text = articles[0].read_text(encoding="utf-8")
        ours, elapsed = suggested(text, cache)
        print(f"seed article: {len(text.split())} words, suggest {elapsed:.2f} s, "
              f"{len(ours.entities)} entities")  # fmt: skip
        syria = load_watchlist(ROOT / "config" / "watchlists" / "syria.yaml")
        lists = [syria]
        if (SHARED / "eval" / "watchlist.yaml").exists():
            lists.append(load_watchlist(SHARED / "eval" / "watchlist.yaml"))
        report("seed vs config/watchlists/syria", ours, syria, lists)
        if len(lists) > 1:
            report("seed vs shared/eval/watchlist", ours, lists[1], lists)
    else:
        print(f"seed article: skipped ({SHARED / 'article'} absent)")
    for article in sorted(FIXTURES.glob("*.txt")):
        expected = load_watchlist(article.with_suffix(".yaml"))
        ours, elapsed = suggested(article.read_text(encoding="utf-8"), cache)
        report(f"held out {article.stem} ({elapsed:.2f} s)", ours, expected, [])
    if articles:
        print("CLI end to end, index built:", ", ".join(cli_times(articles[0], cache)))


def cli_times(article: Path, cache: Path, runs: int = 3) -> list[str]:
    """`wirewatch watchlist suggest ARTICLE` as a user runs it: start-up, imports and all."""
    env = {**os.environ, "WIREWATCH_CACHE_DIR": str(cache)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "wirewatch", "watchlist", "suggest", str(article)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        times.append(f"{time.perf_counter() - started:.2f} s")
    return times


if __name__ == "__main__":
    main()
