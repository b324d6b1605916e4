"""Caps on one feed's texts, items and matches, applied where every path passes (parse and
classify), and on the JSON webhook body."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO
from tests.notify.scenarios import make_alert, make_message
from wirewatch.config.limits import DEFAULT, Limits, clip_item
from wirewatch.config.settings import load_config
from wirewatch.errors import ConfigError
from wirewatch.ingest.parse import parse_feed
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist
from wirewatch.model import FeedItem, Match, Source
from wirewatch.notify import payload
from wirewatch.notify.webhook import encode

SYRIA = REPO / "config/watchlists/syria.yaml"


def rss(items: list[str], root: str = "rss") -> bytes:
    return (
        f'<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'
    ).encode()


def test_a_10_mb_description_is_cut_after_plain_texting() -> None:
    """The summary keeps its first 20,000 characters of plain text, the title 1,000."""
    body = rss(
        [
            f"<item><guid>1</guid><title>{'Hama ' * 1000}</title>"
            f"<description>&lt;b&gt;{'Homs ' * 2_000_000}&lt;/b&gt;</description></item>"
        ]
    )
    [item] = parse_feed(body, feed_url="", feed_name="f").items
    assert DEFAULT.text_chars == 20_000
    assert item.summary == ("Homs " * 4000).strip()
    assert len(item.title) <= 1000 and item.title.startswith("Hama Hama")


def test_the_newest_items_are_taken_in_document_order() -> None:
    """Of 30 dated items in shuffled order and an undated one, the 16 newest are kept (and
    all 31 are read: parse reads twice as many entries as it takes)."""
    base = datetime(2024, 12, 1, tzinfo=UTC)
    days = [7, 22, 3, 29, 15, 0, 11, 26, 19, 5, 28, 13, 1, 24, 9, 17, 2, 21, 27, 6]
    days += [12, 25, 4, 18, 8, 23, 14, 10, 20, 16]
    items = [
        f"<item><guid>d{d}</guid><title>x</title>"
        f"<pubDate>{(base + timedelta(days=d)):%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for d in days
    ] + ["<item><guid>undated-1</guid><title>x</title></item>"]
    parsed = parse_feed(
        rss(items),
        feed_url="",
        feed_name="f",
        limits=Limits(items_per_feed=16),
        now=base + timedelta(days=40),
    )
    newest = [d for d in days if d >= 14]
    assert [f"d{d}" for d in newest] == [i.id for i in parsed.items]
    assert "entries beyond the newest 16 skipped: 15" in parsed.warnings


@pytest.mark.parametrize("kind", ["rss", "atom", "rdf"])
def test_a_huge_document_is_read_only_as_far_as_needed(kind: str) -> None:
    """3,000 entries and a cap of 100: parse reads the first 200 (the cut document is closed
    again, so it parses cleanly) and takes 100."""
    entry = {
        "rss": "<item><guid>{i}</guid><title>Homs {i}</title></item>",
        "atom": "<entry><id>{i}</id><title>Homs {i}</title></entry>",
        "rdf": '<item rdf:about="http://x.example/{i}"><title>Homs {i}</title>'
        "<link>http://x.example/{i}</link></item>",
    }[kind]
    entries = "".join(entry.format(i=i) for i in range(3000))
    body = {
        "rss": f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>',
        "atom": f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>',
        "rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://x.example/">'
        f"<title>t</title><link>http://x.example/</link></channel>{entries}</rdf:RDF>",
    }[kind]
    parsed = parse_feed(
        body.encode(), feed_url="", feed_name="f", limits=Limits(items_per_feed=100)
    )
    assert 100 == len(parsed.items)
    assert parsed.items[0].title == "Homs 0"
    assert [
        "document read up to entry 200 of 3000",
        "entries beyond the newest 100 skipped: 100",
    ] == list(parsed.warnings)


def test_matches_per_entity_are_capped_and_the_rest_counted() -> None:
    """20 matches of Homs are reported, the other 980 counted; Hama's two are all there."""
    matcher = Matcher(load_watchlist(SYRIA))
    item = FeedItem(id="1", title="Hama and Hama", summary="Homs " * 1000)
    result = matcher.classify(item)
    homs = [m for m in result.matches if m.entity == "homs"]
    assert 20 == len(homs) and homs[-1].start == 19 * 5
    assert 2 == sum(m.entity == "hama" for m in result.matches)
    assert (("homs", 980),) == result.omitted
    assert result.alert
    assert (("homs", 995),) == matcher.classify(item, per_entity=5).omitted


def test_clip_item_returns_the_item_itself_when_within_the_caps() -> None:
    item = FeedItem(id="1", title="Homs", summary="s", tags=("a",))
    assert item is clip_item(item)
    long = FeedItem(id="1", tags=tuple(f"t{i}" for i in range(80)), authors=("a" * 5000,))
    clipped = clip_item(long)
    assert 50 == len(clipped.tags) and 1000 == len(clipped.authors[0])


def test_classify_obeys_the_caps_on_json_lines() -> None:
    """`classify` makes its items through the same caps: a 5 MB summary, 20 matches shown."""
    line = json.dumps({"id": "1", "title": "x", "summary": "Homs " * 1_000_000})
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch", "classify", "--watchlist", str(SYRIA)],
        input=line,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    out = json.loads(result.stdout)
    assert 20 == len(out["matches"])
    assert {"homs": 4000 - 20} == out["omitted"]


def test_the_caps_are_configurable_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "wirewatch.yaml"
    path.write_text("limits: {items_per_feed: 50, matches_per_entity: 3, text_chars: 5000}\n")
    limits = load_config(path).limits
    assert (50, 3, 5000, 1000) == (
        limits.items_per_feed,
        limits.matches_per_entity,
        limits.text_chars,
        limits.title_chars,
    )
    path.write_text("limits: {items_per_feed: 0, max_items: 5}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any("limits.items_per_feed" in p for p in caught.value.problems)
    assert any("limits.max_items: unknown key" in p for p in caught.value.problems)


def test_a_json_body_stays_within_256_kib_and_says_it_was_truncated() -> None:
    """An alert with 3,000 matches over 150 entities and 400 long-titled sources: the body is
    cut to the first match per entity, 50 entities, 10 sources, 300-character titles."""
    matches = tuple(
        Match(f"e{e}", "place", f"Name {e}", "summary", k * 10, k * 10 + 4, "Name")
        for e in range(150)
        for k in range(20)
    )
    now = datetime(2024, 12, 8, tzinfo=UTC)
    sources = tuple(
        Source(f"feed {i}", f"i{i}", "Title " * 150, f"https://x.example/{i}", now, now)
        for i in range(400)
    )
    alert = make_alert(matches=matches, sources=sources, omitted=(("e0", 7),))
    body = payload.build(make_message(alert))
    assert len(encode(body)) <= payload.MAX_BYTES
    assert body["truncated"] is True
    assert 50 == len(body["entities"]) and 10 == len(body["sources"])
    first = body["entities"][0]
    assert (1, 7 + 19) == (len(first["matches"]), first["omitted"])
    assert len(body["sources"][0]["title"]) <= 300
    jsonschema.Draft202012Validator(payload.load_schema()).validate(body)


def test_a_body_within_the_limit_is_whole() -> None:
    body = payload.build(make_message())
    assert "truncated" not in body
    assert all(0 == e["omitted"] for e in body["entities"])


def test_a_stored_alert_keeps_what_notifiers_show() -> None:
    """An alert row keeps 1,000 characters of the summary and content (the items table keeps
    them whole): the snippet every notifier shows is the same, the row a few KiB."""
    from dataclasses import replace

    from wirewatch.notify.render import snippet
    from wirewatch.storage.codec import alert_from_json, alert_to_json

    item = FeedItem(id="1", title="Homs", summary="Homs falls. " * 1600, content="Hama " * 4000)
    alert = make_alert(item=item)
    text = alert_to_json(alert)
    stored = alert_from_json(text)
    assert len(text) < 5000
    assert (1000, 999) == (len(stored.item.summary), len(stored.item.content))  # "Hama " cut
    assert snippet(alert) == snippet(stored)
    assert replace(stored, item=item) == alert


@pytest.mark.integration
def test_poll_once_obeys_the_configured_caps(tmp_path: Path) -> None:
    """The daemon's path (fetch, parse, classify, store) applies the config's `limits`: 40
    items in the feed, 5 taken; the stored alert lists 2 matches of Homs and counts the rest."""
    items = [
        f"<item><guid>g{i}</guid><title>Report {i} on Homs</title>"
        f"<pubDate>Sun, {1 + i % 28:02d} Dec 2024 0{i % 10}:00:00 GMT</pubDate>"
        f"<description>{'Homs ' * 30} w{i}</description></item>"
        for i in range(40)
    ]
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(items))
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / "data"),
                "watchlists": [str(SYRIA)],
                "feeds": [{"url": feed.as_uri(), "backfill": True}],
                "limits": {"items_per_feed": 5, "matches_per_entity": 2},
            }
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch", "poll", "--once", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert 5 == row["items"]
    with sqlite3.connect(tmp_path / "data" / "wirewatch.db") as conn:
        bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM alerts")]
    assert bodies
    for body in bodies:
        assert 2 == sum(m["entity"] == "homs" for m in body["matches"])
        assert body["omitted"]["homs"] >= 29


def test_a_huge_json_feed_is_read_only_as_far_as_needed() -> None:
    items = [{"id": f"i{n}", "title": f"Homs {n}"} for n in range(3000)]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    parsed = parse_feed(body, feed_url="", feed_name="f", limits=Limits(items_per_feed=100))
    assert [f"i{n}" for n in range(100)] == [i.id for i in parsed.items]
    assert "document read up to entry 200 of 3000" in parsed.warnings
