"""Story grouping through the real pipeline: four local outlets, `poll --once` subprocesses,
stories read back with `alerts --json` and explained with `stories explain`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import LOCAL_FETCH, REPO
from tests.support import wirewatch as run_cli
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration

DESK = REPO / "tests" / "fixtures" / "stories" / "desk.jsonl"
FEEDS = ("wire", "arabic", "tv", "monitor")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """The desk's outlets on 127.0.0.1, their reports placed in the last day."""
    feeds = FeedServer().start()
    start = datetime.now(UTC) - timedelta(hours=23)
    rows = [json.loads(line) for line in DESK.read_text(encoding="utf-8").splitlines()]
    for name in FEEDS:
        items = [
            SampleItem(
                r["id"],
                r["title"],
                r["summary"],
                f"https://{name}.example/{r['id']}",
                start + timedelta(minutes=int(r["minutes"])),
            )
            for r in rows
            if r["feed"] == name
        ]
        feeds.add_feed(name, items=items)
    yield feeds
    feeds.stop()


def labelled() -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for row in map(json.loads, DESK.read_text(encoding="utf-8").splitlines()):
        groups.setdefault(row["story"], set()).add(row["id"])
    return {frozenset(g) for g in groups.values()}


def config(tmp_path: Path, server: FeedServer, feeds: tuple[str, ...], name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    entries = [{"url": server.url(feed), "name": feed, "backfill": True} for feed in feeds]
    path.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / name),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": entries,
                "fetch": LOCAL_FETCH,
                "http": {"enabled": False},
            }
        ),
        encoding="utf-8",
    )
    return path


def wirewatch(*args: str) -> str:
    done = run_cli(*args, timeout=120)
    assert 0 == done.returncode, done.stderr
    return done.stdout


def stories(path: Path) -> set[frozenset[str]]:
    out = wirewatch("alerts", "--json", "--since", "2h", "--config", str(path))
    return {
        frozenset(s["item_id"] for s in a["sources"]) for a in map(json.loads, out.splitlines())
    }


def test_poll_once_groups_the_desk_by_event_and_reports_joins(
    server: FeedServer, tmp_path: Path
) -> None:
    """One poll of four outlets gives one story per event, and says how many reports joined."""
    path = config(tmp_path, server, FEEDS, "all")
    polled = [
        json.loads(line)
        for line in wirewatch("poll", "--once", "--json", "--config", str(path)).splitlines()
    ]
    assert labelled() == stories(path)
    assert len(DESK.read_text().splitlines()) - len(labelled()) == sum(r["joined"] for r in polled)


def test_the_order_of_feeds_in_the_config_does_not_change_the_stories(
    server: FeedServer, tmp_path: Path
) -> None:
    """The same outlets listed in reverse give the same stories."""
    forward = config(tmp_path, server, FEEDS, "forward")
    backward = config(tmp_path, server, tuple(reversed(FEEDS)), "backward")
    wirewatch("poll", "--once", "--config", str(forward))
    wirewatch("poll", "--once", "--config", str(backward))
    assert stories(forward) == stories(backward)


def test_a_restart_between_outlets_gives_the_same_stories(
    server: FeedServer, tmp_path: Path
) -> None:
    """Polling two outlets, then (a new process, its index read from the store by the first
    ingest that needs a story) the other two gives the stories one process gives for all four."""
    first = config(tmp_path, server, FEEDS[:2], "split")
    wirewatch("poll", "--once", "--config", str(first))
    second = config(tmp_path, server, FEEDS, "split")
    wirewatch("poll", "--once", "--config", str(second))
    assert labelled() == stories(second)


def test_stories_lists_and_explains_a_story(server: FeedServer, tmp_path: Path) -> None:
    """`stories` lists each story with its sources; `stories explain` says why each source
    joined (shared entities, action) and names the near miss that stayed out and why."""
    path = config(tmp_path, server, FEEDS, "explain")
    wirewatch("poll", "--once", "--config", str(path))
    listed = [
        json.loads(line)
        for line in wirewatch("stories", "--json", "--config", str(path)).splitlines()
    ]
    entered = next(s for s in listed if {"w2", "t2", "a2"} == {x["item_id"] for x in s["sources"]})
    explained = json.loads(
        wirewatch("stories", "explain", entered["story_id"], "--json", "--config", str(path))
    )
    joined = {m["item_id"]: m for m in explained["members"]}
    assert (True, "control", ["hama", "hts"]) == (
        joined["a2"]["joined"],
        joined["a2"]["because"]["action"],
        joined["a2"]["because"]["entities"],
    )
    left = {m["item_id"]: m["reason"] for m in explained["near_misses"]}
    assert "different actions (leave / control)" == left["w3"]
    text = wirewatch("stories", "explain", entered["story_id"], "--config", str(path))
    assert "founded the story" in text and "near misses:" in text


def test_explain_of_an_unknown_story_is_one_line(tmp_path: Path, server: FeedServer) -> None:
    """A story id that is not stored: one clear line, exit 2, no traceback."""
    path = config(tmp_path, server, FEEDS, "unknown")
    # A database that exists (read-only commands refuse a missing one, before any id is read)
    assert 0 == run_cli("db", "migrate", "--config", str(path)).returncode
    done = run_cli("stories", "explain", "st_nope", "--config", str(path))
    assert (2, 1) == (done.returncode, len(done.stderr.strip().splitlines())), done.stderr
    assert "st_nope" in done.stderr
