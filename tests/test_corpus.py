"""Real feeds written by others go through `parse_feed`: items or a clean `ParseError`, nothing else.

The corpus lives outside the repository (`WIREWATCH_CORPUS`, by default `../shared/corpus`) and
is never copied in; without it these tests skip. The counts are printed, so `pytest -rA` shows
them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wirewatch.errors import ParseError
from wirewatch.ingest.parse import ParsedFeed, parse_feed
from wirewatch.ingest.plaintext import to_text

CORPUS = Path(
    os.environ.get("WIREWATCH_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
NOT_FEEDS = {".md", ".tsv"}
NOW = datetime(2024, 12, 8, 12, 0, tzinfo=UTC)
LATEST = NOW + timedelta(days=1)


@dataclass
class Outcome:
    """What happened to every file of the corpus."""

    feeds: dict[Path, ParsedFeed] = field(default_factory=dict)
    parse_errors: dict[Path, str] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(
            files=len(self.feeds) + len(self.parse_errors) + len(self.crashes),
            ok=len(self.feeds),
            items=sum(len(f.items) for f in self.feeds.values()),
            parse_errors=len(self.parse_errors),
            warnings=sum(len(f.warnings) for f in self.feeds.values()),
            crashes=len(self.crashes),
        )


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    if not CORPUS.is_dir():
        pytest.skip(f"no feed corpus at {CORPUS} (set WIREWATCH_CORPUS)")
    result = Outcome()
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in NOT_FEEDS):
        url = f"https://corpus.example/{path.relative_to(CORPUS).as_posix()}"
        try:
            result.feeds[path] = parse_feed(
                path.read_bytes(), feed_url=url, feed_name=path.name, now=NOW
            )
        except ParseError as e:
            result.parse_errors[path] = str(e)
        except Exception as e:  # what this test exists to catch
            result.crashes.append(f"{path}: {e!r}")
    return result


def test_every_file_yields_items_or_a_parse_error(outcome: Outcome) -> None:
    """No file of the corpus makes `parse_feed` raise anything but ParseError."""
    counts = outcome.counts()
    print("corpus:", ", ".join(f"{name} {n:,}" for name, n in counts.items()))

    assert [] == outcome.crashes
    assert counts["files"] == counts["ok"] + counts["parse_errors"]


def test_corpus_items_hold_plain_text_and_utc_dates(outcome: Outcome) -> None:
    """Every item's text is a fixed point of `to_text`; every date is UTC, at most a day ahead."""
    items = [i for feed in outcome.feeds.values() for i in feed.items]
    not_plain = [
        (i.feed, i.id)
        for i in items
        if any(to_text(t) != t for t in (i.title, i.summary, i.content))
    ]
    bad_dates = [
        (i.feed, i.id, i.published)
        for i in items
        if i.published is not None and (i.published.tzinfo is not UTC or i.published > LATEST)
    ]

    assert ([], []) == (not_plain, bad_dates)


def test_corpus_ids_are_unique_and_non_empty_per_feed(outcome: Outcome) -> None:
    """Within one document every item has an id, and no two items share one."""
    clashes = [
        path.name
        for path, feed in outcome.feeds.items()
        if "" in {i.id for i in feed.items} or len({i.id for i in feed.items}) != len(feed.items)
    ]

    assert [] == clashes


def test_json_feed_documents_parse(outcome: Outcome) -> None:
    """Every file whose version names jsonfeed.org parses, with the kind "json" and some items."""
    paths = [*outcome.feeds, *outcome.parse_errors]
    json_feeds = [p for p in paths if p.suffix == ".json" and _is_json_feed(p)]
    parsed = [outcome.feeds.get(p) for p in json_feeds]

    assert [("json", True)] * len(json_feeds) == [
        (f.kind, bool(f.items)) if f else ("failed", False) for f in parsed
    ]


def _is_json_feed(path: Path) -> bool:
    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        return False
    version = document.get("version") if isinstance(document, dict) else None
    return isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")
