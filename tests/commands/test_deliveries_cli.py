"""`wirewatch deliveries` and `wirewatch deliveries retry` over a temporary SQLite store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wirewatch.cli import main
from wirewatch.model import Classification, FeedItem, Match
from wirewatch.storage import BatchItem, DeliveryState, IngestBatch, StoryDecision, Verdict
from wirewatch.storage.sqlite import SqliteStore

T0 = datetime(2024, 12, 7, 18, 30, tzinfo=UTC)
TOKEN = "XyZ9s3cr3tT0kenQ"
URL = f"https://hooks.slack.com/services/T000/B000/{TOKEN}"
CONFIG = f"""
storage:
  url: sqlite:///outbox.db
notifiers:
  - name: ops
    type: webhook
    format: slack
    url: {URL}
"""


def ingest_batch(count: int) -> IngestBatch:
    """`count` alerting items from one feed's first poll (backfilled), each to `ops`."""
    items = []
    for n in range(count):
        item = FeedItem(id=f"item-{n}", feed="Reuters", title=f"Rebels enter Homs ({n})")
        match = Match("homs", "place", "Homs", "title", 13, 17, "Homs")
        verdict = Verdict(Classification("syria", item.id, True, (match,)), ("ops",))
        items.append(BatchItem(item, (verdict,), StoryDecision(f"story-{n}", f"sig {n}")))
    return IngestBatch(feed="Reuters", now=T0, items=tuple(items), backfill=True)


async def fill(path: Path) -> list[str]:
    """Three deliveries: one delivered, one dead (its reason holds the URL), one pending."""
    async with SqliteStore(path) as store:
        await store.migrate()
        await store.ingest(ingest_batch(3))
        ids = sorted(r.id for r in await store.list_deliveries())
        await store.mark_delivered(ids[0], T0)
        await store.dead_letter(ids[1], f"webhook 'ops' ({URL}): HTTP 400: invalid_payload")
    return ids


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, list[str]]:
    config = tmp_path / "wirewatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "data").mkdir()
    ids = asyncio.run(fill(tmp_path / "data" / "outbox.db"))
    return config, ids


def json_rows(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_lists_every_row_not_delivered_as_a_table(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The default table shows the pending and the dead row, with a masked error."""
    config, ids = setup
    assert 0 == main(["deliveries", "--config", str(config)])
    out = capsys.readouterr().out
    assert out.startswith("id ")
    assert [False, True, True] == [i in out for i in ids]
    assert "HTTP 400: invalid_payload" in out
    assert TOKEN not in out
    assert out.endswith("\n2 deliveries\n")


def test_json_lines_carry_the_documented_fields_and_no_secret(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json --state dead` prints one JSON line per dead row; the URL token is masked."""
    config, ids = setup
    assert 0 == main(["deliveries", "--state", "dead", "--json", "--config", str(config)])
    [row] = json_rows(capsys.readouterr().out)
    assert (ids[1], "ops", "alert.created", "dead", 0) == (
        row["id"],
        row["notifier"],
        row["event"],
        row["state"],
        row["attempts"],
    )
    assert "webhook 'ops' (***): HTTP 400: invalid_payload" == row["last_error"]


def test_retry_dead_requeues_every_dead_row(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """`retry --dead` says how many it requeued, and the row is pending again."""
    config, ids = setup
    assert 0 == main(["deliveries", "--config", str(config), "retry", "--dead"])
    assert "requeued 1 dead deliveries\n" == capsys.readouterr().out
    assert 0 == main(["deliveries", "--json", "--config", str(config)])
    states = {row["id"]: row["state"] for row in json_rows(capsys.readouterr().out)}
    assert {ids[1]: "pending", ids[2]: "pending"} == states


def test_retry_by_id_reports_ids_it_could_not_requeue(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Requeueing a dead id and an unknown one requeues one and exits 1."""
    config, ids = setup
    assert 1 == main(["deliveries", "retry", ids[1], "msg_nope", "--config", str(config)])
    assert "requeued 1 of 2 deliveries\n" == capsys.readouterr().out


def test_retry_needs_ids_or_dead(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """`retry` alone is a usage error (exit 2) with one line saying what to give."""
    config, _ = setup
    assert 2 == main(["deliveries", "retry", "--config", str(config)])
    assert "wirewatch: error: deliveries retry: give delivery IDs or --dead (not both)\n" == (
        capsys.readouterr().err
    )


def test_help_documents_retry(capsys: pytest.CaptureFixture[str]) -> None:
    """`deliveries --help` names the retry action and the states."""
    with pytest.raises(SystemExit):
        main(["deliveries", "--help"])
    out = capsys.readouterr().out
    assert ["retry", "--dead", "pending,failed,dead,delivered,all"] == [
        word for word in ("retry", "--dead", "pending,failed,dead,delivered,all") if word in out
    ]


def test_state_filter_uses_the_store_states() -> None:
    """Every state the command offers, but `all`, is a store state."""
    from wirewatch.commands.deliveries import STATES

    assert [s.value for s in DeliveryState] == [s for s in STATES if s != "all"]
