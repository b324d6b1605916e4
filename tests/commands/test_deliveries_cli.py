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
    expected = "wirewatch: error: deliveries retry: give delivery IDs, or --dead and/or --failed\n"
    assert expected == capsys.readouterr().err


def test_help_documents_retry(capsys: pytest.CaptureFixture[str]) -> None:
    """`deliveries --help` names the retry action and the states."""
    with pytest.raises(SystemExit):
        main(["deliveries", "--help"])
    out = capsys.readouterr().out
    words = ("retry", "--notifier", "pending,held,failed,dead,delivered,all")
    assert list(words) == [word for word in words if word in out]


def test_state_filter_uses_the_store_states() -> None:
    """Every state the command offers, but `all` and `held` (a kind of pending), is a store
    state."""
    from wirewatch.commands.deliveries import STATES

    assert [s.value for s in DeliveryState] == [s for s in STATES if s not in ("all", "held")]


async def _age(path: Path) -> list[str]:
    """Rows with a history: tried twice then dead, failed with a long error, held, delivered
    after a failure."""
    long_error = f"webhook 'ops' ({URL}): HTTP 503: " + "upstream unavailable " * 6
    async with SqliteStore(path) as store:
        await store.ingest(ingest_batch(6))
        ids = sorted(r.id for r in await store.list_deliveries() if r.state.value == "pending")
        await store.reschedule(ids[0], due_at=T0, error="HTTP 503", attempt=1)
        await store.dead_letter(ids[0], "gave up after 2 attempts: HTTP 503", attempts=2)
        await store.reschedule(ids[1], due_at=T0, error=long_error, attempt=3)
        await store.postpone(ids[2], due_at=T0, note="held for a digest until 2024-12-07")
        await store.reschedule(ids[3], due_at=T0, error="HTTP 502", attempt=1)
        await store.mark_delivered(ids[3], T0)
    return ids


def test_the_table_shows_true_tries_final_rows_without_due_and_held_rows(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A dead row shows the tries it had; final rows no due time; a held row the state
    `held` with its note; a failed row its whole error, status first; a delivered row none."""
    config, _ = setup
    ids = asyncio.run(_age(config.parent / "data" / "outbox.db"))
    assert 0 == main(["deliveries", "--state", "all", "--json", "--config", str(config)])
    rows = {row["id"]: row for row in json_rows(capsys.readouterr().out)}
    dead, failed, held, delivered = (rows[i] for i in ids[:4])
    assert (2, None) == (dead["attempts"], dead["due_at"])
    assert ("held", "held for a digest until 2024-12-07") == (held["state"], held["last_error"])
    assert (None, None) == (delivered["due_at"], delivered["last_error"])
    assert main(["deliveries", "--state", "failed", "--config", str(config)]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if ids[1][:40] in line]
    assert "3  2024-12-07 18:30:00Z HTTP 503: upstream unavailable" in line
    assert line.endswith("upstream unavailable")
    assert TOKEN not in line and failed["state"] == "failed"


def test_retry_failed_for_one_notifier(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """`retry --failed --notifier ops` requeues that notifier's failed rows only."""
    config, _ = setup
    ids = asyncio.run(_age(config.parent / "data" / "outbox.db"))
    args = ["deliveries", "--config", str(config), "retry", "--failed", "--notifier", "other"]
    assert 0 == main(args)
    assert "requeued 0 failed deliveries of 'other'\n" == capsys.readouterr().out
    assert 0 == main([*args[:-1], "ops"])
    assert "requeued 1 failed deliveries of 'ops'\n" == capsys.readouterr().out
    assert 0 == main(["deliveries", "--json", "--state", "pending", "--config", str(config)])
    pending = {row["id"]: row["attempts"] for row in json_rows(capsys.readouterr().out)}
    assert 0 == pending[ids[1]]


def test_health_lists_each_notifier_with_its_queue_and_error(
    setup: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--health` prints one line per notifier: its state, queue, dead rows and last error,
    with secrets masked."""
    from wirewatch.storage import NotifierHealth

    config, _ = setup

    async def failing() -> None:
        async with SqliteStore(config.parent / "data" / "outbox.db") as store:
            error = f"webhook 'ops' ({URL}): HTTP 503"
            await store.save_notifier_health(NotifierHealth("ops", True, 3, error, T0, T0, T0))

    asyncio.run(failing())
    assert 0 == main(["deliveries", "--health", "--config", str(config)])
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("ops") and "failing" in line and "queued     1  dead     1" in line
    assert "HTTP 503" in line and TOKEN not in line
    assert 0 == main(["deliveries", "--health", "--json", "--config", str(config)])
    [row] = json_rows(capsys.readouterr().out)
    assert ("ops", "failing", 1, 3) == (
        row["notifier"],
        row["state"],
        row["queued"],
        row["failures"],
    )
