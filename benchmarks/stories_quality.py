"""Story grouping quality through the real pipeline, scored against labelled stories.

Replays a labelled stories file (default: ../shared/eval/dev-stories.jsonl, or
$WIREWATCH_SHARED/eval/dev-stories.jsonl) as one RSS feed per outlet, served from 127.0.0.1.
Each mode runs `wirewatch poll --once` on a fresh data dir with every feed on backfill, reads
the stories back with `wirewatch alerts --json`, and scores them with the labelled set's own
`score_stories.py` (pairwise and B-cubed precision, recall, F1).

Time modes:
- real: the labelled times, shifted so that the newest item is an hour old;
- compressed: each story's first item at a random moment of the last 72 hours (the offsets
  inside a story kept), so that many stories run at once, as on a busy desk.

Run: .venv/bin/python benchmarks/stories_quality.py [--stories FILE] [--seeds 3] [--watchlist W]
(tests/fixtures/stories/heldout.jsonl is a set of our own words, scored the same way.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WIREWATCH_SHARED", ROOT.parent / "shared"))
WIREWATCH = [sys.executable, "-m", "wirewatch"]


def load(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def real_times(items: list[dict[str, str]], now: datetime) -> dict[str, datetime]:
    """The labelled times, shifted so the newest is an hour before `now`."""
    times = {i["id"]: _parse(i["published"]) for i in items}
    shift = now - timedelta(hours=1) - max(times.values())
    return {k: t + shift for k, t in times.items()}


def compressed_times(
    items: list[dict[str, str]], now: datetime, rng: random.Random
) -> dict[str, datetime]:
    """Each story starts at a random moment of the last 72 hours, its own offsets kept (and
    its last report still in the past)."""
    times = {i["id"]: _parse(i["published"]) for i in items}
    stories: dict[str, list[str]] = defaultdict(list)
    for item in items:
        stories[item["story"]].append(item["id"])
    placed = {}
    for story in sorted(stories):
        ids = stories[story]
        first = min(times[i] for i in ids)
        span = max(times[i] for i in ids) - first
        latest_start = max(timedelta(0), timedelta(hours=72) - span - timedelta(minutes=5))
        start = now - timedelta(hours=72) + rng.random() * latest_start
        placed |= {i: start + (times[i] - first) for i in ids}
    return placed


def rss(feed: str, items: list[dict[str, str]], times: dict[str, datetime]) -> str:
    """One outlet's feed, newest first."""
    entries = []
    for item in sorted(items, key=lambda i: times[i["id"]], reverse=True):
        entries.append(
            "<item>"
            f"<guid isPermaLink='false'>{escape(item['id'])}</guid>"
            f"<title>{escape(item['title'])}</title>"
            f"<description>{escape(item['summary'])}</description>"
            f"<link>{escape(item['link'])}</link>"
            f"<pubDate>{format_datetime(times[item['id']])}</pubDate>"
            "</item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{feed}</title><link>https://{feed}.example/</link>"
        f"<description>{feed}</description>{''.join(entries)}</channel></rss>"
    )


def run_mode(
    items: list[dict[str, str]], times: dict[str, datetime], watchlist: Path, labelled: Path
) -> str:
    """Serve the outlets, poll them once through the CLI, return the scorer's line."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "feeds").mkdir()
        by_feed: dict[str, list[dict[str, str]]] = defaultdict(list)
        for item in items:
            by_feed[item["feed"]].append(item)
        for feed, its in by_feed.items():
            (root / "feeds" / f"{feed}.xml").write_text(rss(feed, its, times), encoding="utf-8")
        handler = partial(_Quiet, directory=str(root / "feeds"))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            config = _config(root, server.server_address[1], sorted(by_feed), watchlist)
            poll = _wirewatch("poll", "--once", "--json", "--config", str(config))
            alerts = _wirewatch(
                "alerts", "--json", "--since", "2h", "--limit", "1000000", "--config", str(config)
            )
        finally:
            server.shutdown()
            server.server_close()
        joined = sum(json.loads(line).get("joined", 0) for line in poll.splitlines() if line)
        predictions = root / "predictions.jsonl"
        lines = [
            json.dumps({"id": source["item_id"], "story": alert["story_id"]})
            for alert in map(json.loads, alerts.splitlines())
            for source in alert["sources"]
        ]
        predictions.write_text("\n".join(lines) + "\n", encoding="utf-8")
        scored = subprocess.run(
            [
                sys.executable,
                str(_scorer(labelled)),
                str(labelled),
                str(predictions),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{scored} (joined {joined})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=Path, default=SHARED / "eval" / "dev-stories.jsonl")
    parser.add_argument("--watchlist", type=Path, default=SHARED / "eval" / "watchlist.yaml")
    parser.add_argument("--seeds", type=int, default=3, help="compressed runs (seeds 0..N-1)")
    args = parser.parse_args()
    if not args.stories.exists():
        sys.exit(f"no labelled stories at {args.stories}: pass --stories or set WIREWATCH_SHARED")
    items = load(args.stories)
    now = datetime.now(UTC).replace(microsecond=0)
    print(f"{len(items)} items, {len({i['story'] for i in items})} stories, {args.stories}")
    print("real        ", run_mode(items, real_times(items, now), args.watchlist, args.stories))
    for seed in range(args.seeds):
        times = compressed_times(items, now, random.Random(seed))
        print(f"compressed {seed}", run_mode(items, times, args.watchlist, args.stories))


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _config(root: Path, port: int, feeds: list[str], watchlist: Path) -> Path:
    lines = [
        f"data_dir: {root / 'data'}",
        f"watchlists: [{watchlist.resolve()}]",
        "http: {enabled: false}",
        "fetch: {allow_networks: [127.0.0.1]}",  # the local outlets; the fetch guard refuses them
        "feeds:",
        *(
            f"  - {{url: 'http://127.0.0.1:{port}/{feed}.xml', name: {feed}, backfill: true}}"
            for feed in feeds
        ),
    ]
    path = root / "wirewatch.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _wirewatch(*args: str) -> str:
    done = subprocess.run([*WIREWATCH, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1):
        sys.exit(f"wirewatch {args[0]} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _scorer(labelled: Path) -> Path:
    """The labelled set's own scorer, else the shared one (a set of our own, in tests/)."""
    own = labelled.parent / "score_stories.py"
    return own if own.exists() else SHARED / "eval" / "score_stories.py"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


if __name__ == "__main__":
    main()
