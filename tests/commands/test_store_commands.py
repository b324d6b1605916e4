"""`wirewatch alerts` and `wirewatch backtest` against a store filled by a real poll."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LOCAL_FETCH, REPO
from tests.notify.servers import free_port
from tests.support import wirewatch
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration


@pytest.fixture
def polled(tmp_path: Path) -> Iterator[Path]:
    """A config whose store holds two polled feeds: three items, two of them alerting."""
    server = FeedServer().start()
    wire = server.add_feed(
        "wire",
        items=[
            SampleItem(
                "w1", "Rebels enter Homs", "HTS fighters were seen downtown.", "https://a.example/1"
            ),
            SampleItem(
                "w2", "Snow closes Oslo airport", "Flights were cancelled.", "https://a.example/2"
            ),
        ],
    )
    desk = server.add_feed(
        "desk",
        items=[
            SampleItem(
                "d1",
                "Kurdish forces take Deir ez-Zor airport",
                "The SDF said so.",
                "https://b.example/1",
            ),
        ],
    )
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / "data"),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": [
                    {"url": wire, "name": "wire", "backfill": True},
                    {"url": desk, "name": "desk", "backfill": True},
                ],
                "fetch": LOCAL_FETCH,
            }
        ),
        encoding="utf-8",
    )
    result = wirewatch("poll", "--once", "--config", str(config))
    assert 0 == result.returncode, result.stderr
    yield config
    server.stop()


def test_alerts_lists_recent_alerts_as_json_and_filters(polled: Path) -> None:
    rows = [
        json.loads(line)
        for line in wirewatch("alerts", "--json", "--config", str(polled)).stdout.splitlines()
    ]
    assert {"Rebels enter Homs", "Kurdish forces take Deir ez-Zor airport"} == {
        r["title"] for r in rows
    }
    assert all(r["deliveries"][0]["notifier"] == "console" for r in rows)
    homs = wirewatch(
        "alerts", "--json", "--entity", "homs", "--config", str(polled)
    ).stdout.splitlines()
    assert ["Rebels enter Homs"] == [json.loads(line)["title"] for line in homs]
    table = wirewatch("alerts", "--since", "1h", "--config", str(polled)).stdout
    assert "2 alerts" in table and "[syria] Rebels enter Homs" in table


@pytest.mark.parametrize(
    ("since", "message"),
    [("yesterday", "neither a duration"), ("999999d", "reaches back before year 1")],
)
def test_alerts_rejects_a_bad_since(polled: Path, since: str, message: str) -> None:
    result = wirewatch("alerts", "--since", since, "--config", str(polled))
    assert 2 == result.returncode and message in result.stderr
    assert "Traceback" not in result.stderr


def test_db_migrate_against_an_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    """A PostgreSQL that refuses connections: one line naming the server and what to check,
    exit 1, instead of the driver's message repeated while the pool retries."""
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "storage": {"url": f"postgresql://wirewatch@127.0.0.1:{free_port()}/wirewatch"},
            }
        )
    )
    result = wirewatch("db", "migrate", "--config", str(config))

    assert 1 == result.returncode
    [line] = result.stderr.splitlines()
    assert line.startswith("wirewatch: PostgreSQL 127.0.0.1:") and "cannot connect" in line
    assert "check storage.url" in line


def test_backtest_shows_gained_and_lost_per_entity(polled: Path, tmp_path: Path) -> None:
    """A candidate that drops Homs and adds Oslo: one item gained, one lost, per entity."""
    text = (REPO / "config/watchlists/syria.yaml").read_text(encoding="utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        text.replace('names: [Homs, Hims, Hums, Emesa, "حمص"]', "names: [Hims]").replace(
            "  - id: hts\n", "  - {id: oslo, kind: place, names: [Oslo]}\n  - id: hts\n"
        ),
        encoding="utf-8",
    )
    result = wirewatch("backtest", "--watchlist", str(candidate), "--json", "--config", str(polled))
    assert 0 == result.returncode, result.stderr
    changes = {c["id"]: c for c in map(json.loads, result.stdout.splitlines())}
    assert ("gained", ["oslo"]) == (changes["w2"]["change"], changes["w2"]["entities_added"])
    assert ("changed", ["homs"]) == (changes["w1"]["change"], changes["w1"]["entities_removed"])
    assert "d1" not in changes
    report = wirewatch("backtest", "--watchlist", str(candidate), "--config", str(polled)).stdout
    assert "would now alert: 1" in report and "oslo" in report


def test_a_data_dir_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    """`data_dir` below a plain file: one line naming the directory and the key, exit 1."""
    (tmp_path / "plain").write_text("not a directory")
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "data_dir": str(tmp_path / "plain" / "data"),
            }
        )
    )
    result = wirewatch("db", "migrate", "--config", str(config))

    assert 1 == result.returncode
    [line] = result.stderr.splitlines()
    assert line.startswith("wirewatch: cannot create the data directory") and "data_dir" in line
