"""`wirewatch poll --once` as a subprocess against a real feed server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LOCAL_FETCH, REPO
from tests.notify.servers import Receiver
from tests.support import wirewatch
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[FeedServer]:
    feeds = FeedServer().start()
    yield feeds
    feeds.stop()


def write_config(tmp_path: Path, feeds: list[dict[str, object]]) -> Path:
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / "data"),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": feeds,
                "fetch": LOCAL_FETCH,
            }
        ),
        encoding="utf-8",
    )
    return config


def poll(config: Path) -> subprocess.CompletedProcess[str]:
    return wirewatch("poll", "--once", "--json", "--config", str(config))


def rows(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    return {row["feed"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_first_poll_records_without_alerting_then_new_items_alert(
    server: FeedServer, tmp_path: Path
) -> None:
    """First poll: items seen, no alert. Second: 304. Third, after a new item: one alert."""
    url = server.add_feed("wire", items=[SampleItem("w1", "Rebels near Homs", "Fighting.", "")])
    config = write_config(tmp_path, [{"url": url, "name": "wire"}])

    first = poll(config)
    assert 0 == first.returncode, first.stderr
    assert {"status": "ok", "http_status": 200, "items": 1, "new": 1, "alerts": 0} == {
        k: rows(first)["wire"][k] for k in ("status", "http_status", "items", "new", "alerts")
    }
    second = poll(config)
    assert ("not_modified", 304) == (
        rows(second)["wire"]["status"],
        rows(second)["wire"]["http_status"],
    )

    server.publish("wire", SampleItem("w2", "HTS fighters enter Hama", "The army withdrew.", ""))
    third = rows(poll(config))["wire"]
    assert {"items": 2, "new": 1, "matched": 1, "alerts": 1} == {
        k: third[k] for k in ("items", "new", "matched", "alerts")
    }


def test_backfill_alerts_on_first_poll_and_table_shows_matches(
    server: FeedServer, tmp_path: Path
) -> None:
    url = server.add_feed(
        "desk", items=[SampleItem("d1", "Clashes in Deir ez-Zor", "SDF advance.", "http://x/1")]
    )
    config = write_config(tmp_path, [{"url": url, "name": "desk", "backfill": True}])
    result = wirewatch("poll", "--once", "--config", str(config))
    assert 0 == result.returncode, result.stderr
    assert "1 alerts" in result.stdout
    assert "Clashes in Deir ez-Zor" in result.stdout and "deir_ezzor" in result.stdout


def test_failing_feed_exits_1_and_says_why(server: FeedServer, tmp_path: Path) -> None:
    """A 404 and a refused connection are failures with a clear reason; exit code 1."""
    good = server.add_feed("ok", items=[SampleItem("o1", "Quiet day", "Nothing.", "")])
    config = write_config(
        tmp_path,
        [
            {"url": good, "name": "ok"},
            {"url": server.url("missing"), "name": "missing"},
            {"url": "http://127.0.0.1:9/feed.xml", "name": "refused"},
        ],
    )
    result = poll(config)
    assert 1 == result.returncode
    table = rows(result)
    assert ("ok", "failed", "failed") == (
        table["ok"]["status"],
        table["missing"]["status"],
        table["refused"]["status"],
    )
    assert "404" in str(table["missing"]["error"])
    assert "refused" in str(table["refused"]["error"])
    assert "Traceback" not in result.stderr


def test_broken_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("feeds:\n  - url: gopher://x\n", encoding="utf-8")
    result = poll(config)
    assert 2 == result.returncode
    assert "feeds[0].url" in result.stderr and "Traceback" not in result.stderr


def test_a_fifo_feed_fails_with_one_line_instead_of_hanging(tmp_path: Path) -> None:
    """A file:// feed pointing at a FIFO (nobody writing) fails at once; poll --once ends."""
    fifo = tmp_path / "feed.xml"
    os.mkfifo(fifo)
    config = write_config(tmp_path, [{"url": fifo.as_uri(), "name": "fifo"}])

    result = poll(config)

    assert 1 == result.returncode
    assert {"fifo": f"cannot read {fifo}: it is a FIFO, not a regular file"} == {
        name: row["error"] for name, row in rows(result).items()
    }


def test_deliver_sends_what_the_poll_queued_and_says_so(
    server: FeedServer, receiver: Receiver, tmp_path: Path
) -> None:
    """Without --deliver the last line says how many deliveries wait for the daemon; with it
    they reach a real receiver before the command exits (the new alert's, and those already
    due), named by the configured feed."""
    url = server.add_feed(
        "desk", items=[SampleItem("d1", "Clashes in Deir ez-Zor", "SDF advance.", "")]
    )
    config = write_config(tmp_path, [{"url": url, "name": "Desk wire", "backfill": True}])
    text = json.loads(config.read_text(encoding="utf-8"))
    text["notifiers"] = [{"name": "hook", "type": "webhook", "url": receiver.url}]
    config.write_text(json.dumps(text), encoding="utf-8")
    queued = poll(config)
    assert 0 == queued.returncode, queued.stderr
    assert queued.stderr.splitlines()[-1].startswith("1 deliveries queued for the daemon")
    assert [] == receiver.received()

    server.publish("desk", SampleItem("d2", "HTS fighters enter Hama", "Withdrawal.", ""))
    sent = subprocess.run(
        [
            sys.executable,
            "-m",
            "wirewatch",
            "poll",
            "--once",
            "--deliver",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == sent.returncode, sent.stderr
    # the row queued by the first run goes too: the dispatcher sends whatever is due
    assert "delivered 2, dead-lettered 0, still queued 0" == sent.stderr.splitlines()[-1]
    bodies = [json.loads(r.body) for r in receiver.received()]
    assert [("Desk wire", url)] * 2 == [
        (b["items"][0]["feed"], b["items"][0]["feed_url"]) for b in bodies
    ]


def test_a_feed_another_instance_holds_is_left_to_it_and_the_rest_are_given_back(
    server: FeedServer, tmp_path: Path
) -> None:
    """`poll --once` takes each feed's lease as the daemon does: a feed a running instance
    holds is listed as `leased` (not fetched, not a failure); the leases it took itself are
    given back when it ends, so the next run (or a daemon) polls those feeds at once."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from wirewatch.config.settings import load_config, sqlite_path
    from wirewatch.storage.sqlite import SqliteStore

    held = server.add_feed("held", items=[SampleItem("h1", "Rebels near Homs", "", "")])
    free = server.add_feed("free", items=[SampleItem("f1", "Markets rally", "", "")])
    config = write_config(tmp_path, [{"url": held, "name": "held"}, {"url": free, "name": "free"}])
    (tmp_path / "data").mkdir()
    store = SqliteStore(sqlite_path(load_config(config)))
    now = datetime.now(UTC)

    async def claim() -> None:
        await store.open()
        await store.migrate()
        assert await store.claim_feed(held, now=now, until=now + timedelta(hours=1), owner="x:1")
        await store.close()

    async def owners() -> dict[str, tuple[str, datetime]]:
        await store.open()
        try:
            return await store.feed_owners()
        finally:
            await store.close()

    asyncio.run(claim())
    result = poll(config)
    leases = asyncio.run(owners())

    assert 0 == result.returncode, result.stderr
    assert ("leased", None, "ok") == (
        rows(result)["held"]["status"],
        rows(result)["held"]["http_status"],
        rows(result)["free"]["status"],
    )
    assert "x:1" == leases[held][0] and leases[held][1] > now + timedelta(minutes=59)
    assert leases[free][1] <= datetime.now(UTC)  # given back


def _with_marker(marker: str) -> list[int]:
    """Pids of the processes whose environment holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_cycle_of_many_feeds_reads_every_feed_and_leaves_no_worker_behind(
    server: FeedServer, tmp_path: Path
) -> None:
    """With 20 feeds or more, `poll --once` parses in worker processes (`fetch.parse_workers`):
    every feed's items are read as in a thread, and no worker outlives the command."""
    feeds = [
        {
            "url": server.add_feed(
                f"many{n}",
                items=[SampleItem(f"m{n}-{i}", f"Item {i} of {n}", "Calm.", "") for i in range(3)],
            ),
            "name": f"many{n}",
        }
        for n in range(20)
    ]
    config = write_config(tmp_path, feeds)
    settings = json.loads(config.read_text())
    settings["fetch"] = {**LOCAL_FETCH, "parse_workers": 2}
    config.write_text(json.dumps(settings))
    marker = f"WIREWATCH_TEST_MARK={tmp_path.name}"
    env = {**os.environ, "WIREWATCH_TEST_MARK": tmp_path.name}
    result = wirewatch("poll", "--once", "--json", "--config", str(config), env=env)
    assert 0 == result.returncode, result.stderr
    assert {(f"many{n}", "ok", 3, 3) for n in range(20)} == {
        (name, row["status"], row["items"], row["new"]) for name, row in rows(result).items()
    }
    assert [] == _with_marker(marker)
