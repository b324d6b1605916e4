"""CPU time of `parse_feed` on a realistic 100-item RSS 2.0 feed, and on the same as JSON Feed.

Run: .venv/bin/python benchmarks/parse_cpu.py [--rounds N]

Each item carries a title, an HTML description of about 300 characters, content:encoded of about
1,400 characters, a guid, a tracked link, an author, two categories and a date: about 2 KB an
item, as in the news feeds of the shared corpus. Prints the median and best CPU milliseconds per
100-item parse; with the corpus at hand (WIREWATCH_CORPUS, default ../shared/corpus) also the CPU
milliseconds per 100 items over its real news snapshots.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from wirewatch.errors import ParseError
from wirewatch.ingest.parse import ParsedFeed, parse_feed

ITEMS = 100
CORPUS = Path(
    os.environ.get("WIREWATCH_CORPUS", Path(__file__).resolve().parents[2] / "shared/corpus")
)
PLACES = ["Homs", "Hama", "Aleppo", "Daraa", "Deir Ezzor", "Idlib", "Damascus", "Busra al-Sham"]
SENTENCE = (
    "Residents of {place} described a tense night as convoys moved along the highway, "
    "while officials said talks with local <a href='https://example.org/p/{n}'>elders</a> "
    "were continuing &amp; that aid would reach the city <em>within days</em>. "
)


def rss_feed(items: int = ITEMS) -> bytes:
    start = datetime(2024, 12, 8, 12, 0, tzinfo=UTC)
    entries = "".join(_rss_item(n, start - timedelta(minutes=17 * n)) for n in range(items))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Benchmark Wire</title><link>https://bench.example.org/</link>"
        f"<description>Generated</description><language>en</language>{entries}</channel></rss>"
    ).encode()


def _rss_item(n: int, published: datetime) -> str:
    place = PLACES[n % len(PLACES)]
    summary = SENTENCE.format(place=place, n=n)
    content = "".join(f"<p>{SENTENCE.format(place=place, n=n)}</p>" for _ in range(5))
    return (
        f"<item><title>Update {n}: the situation in {place}</title>"
        f"<link>https://bench.example.org/story/{n}?utm_source=rss&amp;ref=home</link>"
        f'<guid isPermaLink="false">bench-{n}</guid>'
        f"<description><![CDATA[{summary}]]></description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded>"
        f"<author>desk@bench.example.org (Desk {n % 7})</author>"
        f"<category>Syria</category><category>{place}</category>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
    )


def json_feed(items: int = ITEMS) -> bytes:
    start = datetime(2024, 12, 8, 12, 0, tzinfo=UTC)
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Benchmark Wire",
            "items": [_json_item(n, start - timedelta(minutes=17 * n)) for n in range(items)],
        }
    ).encode()


def _json_item(n: int, published: datetime) -> dict[str, object]:
    place = PLACES[n % len(PLACES)]
    return {
        "id": f"bench-{n}",
        "url": f"https://bench.example.org/story/{n}?utm_source=json",
        "title": f"Update {n}: the situation in {place}",
        "summary": SENTENCE.format(place=place, n=n),
        "content_html": "".join(f"<p>{SENTENCE.format(place=place, n=n)}</p>" for _ in range(5)),
        "date_published": published.isoformat(),
        "authors": [{"name": f"Desk {n % 7}"}],
        "tags": ["Syria", place],
    }


def cpu_ms(body: bytes, rounds: int) -> list[float]:
    """CPU milliseconds of each of `rounds` parses of `body` (after one warm-up parse)."""

    def parse() -> ParsedFeed:
        return parse_feed(body, feed_url="https://bench.example.org/rss", feed_name="bench")

    assert ITEMS == len(parse().items)
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        parse()
        timings.append((time.process_time() - started) * 1000)
    return timings


def news_corpus_ms_per_100_items(news: Path) -> tuple[int, int, float]:
    """Files, items and CPU milliseconds per 100 items over the corpus's news snapshots."""
    bodies = [
        p.read_bytes() for p in sorted(news.iterdir()) if p.suffix in (".xml", ".rss", ".atom")
    ]
    items = 0
    started = time.process_time()
    for body in bodies:
        with contextlib.suppress(ParseError):  # the truncated feed in the corpus
            items += len(parse_feed(body, feed_url="https://news.example/", feed_name="news").items)
    return len(bodies), items, (time.process_time() - started) * 1000 * 100 / max(items, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    for name, body in (("rss 2.0", rss_feed()), ("json feed 1.1", json_feed())):
        ms = cpu_ms(body, rounds)
        print(
            f"{name:>13}: {ITEMS} items, {len(body) / 1024:,.0f} KiB: "
            f"median {statistics.median(ms):.1f} ms CPU, best {min(ms):.1f} ms "
            f"({rounds} rounds)"
        )
    if (CORPUS / "news").is_dir():
        files, items, per_100 = news_corpus_ms_per_100_items(CORPUS / "news")
        print(f"  corpus news: {files} files, {items:,} items: {per_100:.1f} ms CPU per 100 items")


if __name__ == "__main__":
    main()
