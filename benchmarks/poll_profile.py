"""Where a poll cycle's CPU goes, from a py-spy profile of `wirewatch poll --once`.

Record with the GIL holder only (threads waiting for the GIL would otherwise count as busy),
then summarise: every sampled stack goes to the first stage it belongs to, in the order below.
py-spy samples wall time, so on a loaded machine the seconds are inflated; the shares hold.

    py-spy record --gil -r 200 -f raw -o cycle.raw -- \\
        .venv/bin/python -m wirewatch poll --once --config FILE
    .venv/bin/python benchmarks/poll_profile.py cycle.raw [--rate 200]

py-spy is not a project dependency (`pip install py-spy` into the venv to profile).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

_HTTP = ("httpx", "httpcore", "anyio", "aiohttp", "yarl", "multidict")
STAGES: list[tuple[str, Callable[[str], bool]]] = [
    ("start-up: imports", lambda s: "_find_and_load" in s and "Pipeline.poll" not in s),
    ("parse: feedparser", lambda s: "feedparser" in s),
    ("parse: fast RSS reader", lambda s: "_fastrss.py" in s),
    ("parse: items (ids, URLs, plain text, caps)", lambda s: "parse_feed" in s),
    ("classify", lambda s: "wirewatch/match" in s),
    ("story grouping", lambda s: "wirewatch/stories" in s),
    ("storage (SQLite)", lambda s: "wirewatch/storage" in s or "sqlite3" in s),
    ("fetch (httpx, aiohttp, sockets)", lambda s: any(m in s for m in _HTTP)),
    ("fetch (ours)", lambda s: "wirewatch/ingest/fetch.py" in s),
    ("rest of the pipeline", lambda s: "pipeline.py" in s),
    ("event loop, threads, other", lambda s: True),
]


def summarise(raw: Path, rate: float) -> list[str]:
    seconds: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        stage = next(name for name, belongs in STAGES if belongs(stack))
        seconds[stage] += int(count) / rate
    total = sum(seconds.values())
    lines = [f"{total:.1f} s sampled holding the GIL (wall time: load inflates it)"]
    for name, _ in STAGES:
        if seconds[name]:
            lines.append(f"  {name:<45} {seconds[name]:6.1f} s {100 * seconds[name] / total:4.0f}%")
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", type=Path, help="py-spy's --format raw output")
    parser.add_argument("--rate", type=float, default=200, help="py-spy's --rate (default 200)")
    args = parser.parse_args()
    print("\n".join(summarise(args.raw, args.rate)))
