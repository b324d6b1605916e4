"""`wirewatch silence add|list|expire` in-process, over a SQLite file of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from wirewatch.cli import main

WATCHLIST = "name: levant\nentities:\n  - {id: homs, kind: place, names: [Homs]}\n"


@pytest.fixture
def config(tmp_path: Path) -> str:
    (tmp_path / "levant.yaml").write_text(WATCHLIST, encoding="utf-8")
    path = tmp_path / "wirewatch.yaml"
    path.write_text("watchlists: [levant.yaml]\n", encoding="utf-8")
    assert 0 == main(["db", "migrate", "--config", str(path)])  # silences need a database
    return str(path)


def test_a_missing_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "levant.yaml").write_text(WATCHLIST, encoding="utf-8")
    path = tmp_path / "wirewatch.yaml"
    path.write_text("watchlists: [levant.yaml]\ndata_dir: nowhere\n", encoding="utf-8")
    add = ["silence", "add", "--config", str(path), "--entity", "homs", "--for", "1h"]
    assert 2 == main([*add, "--comment", "x"])
    assert "no database at" in capsys.readouterr().err


def test_add_list_expire(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    add = ["silence", "add", "--config", config, "--entity", "homs", "--for", "6h"]
    assert 0 == main([*add, "--comment", "covered live", "--author", "desk"])
    silence_id = capsys.readouterr().out.split()[0]
    assert silence_id.startswith("sil_")

    assert 0 == main(["silence", "list", "--config", config])
    listed = capsys.readouterr().out.splitlines()
    assert [f"{silence_id}  active   entity = homs", "    covered live"] == [
        listed[0],
        listed[2],
    ]
    assert listed[1].endswith("by desk")

    assert 0 == main(["silence", "expire", "--config", config, silence_id])
    assert f"{silence_id}  expired at" in capsys.readouterr().out
    assert 0 == main(["silence", "list", "--config", config])
    assert "no silences in force" in capsys.readouterr().out
    assert 0 == main(["silence", "list", "--config", config, "--all", "--json"])
    assert '"state": "expired"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entity", "homz", "--for", "1h"], "no entity 'homz' is defined; did you mean 'homs'?"),
        (["--for", "1h"], "a silence needs at least one matcher"),
        (["--entity", "homs", "--for", "soon"], "'soon' is not a duration"),
        (["--match", "entity homs", "--for", "1h"], "is not a matcher"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    config: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert 2 == main(["silence", "add", "--config", config, "--comment", "x", *args])
    err = capsys.readouterr().err
    assert message in err and 1 == len(err.splitlines())


def test_expiring_an_unknown_id_fails(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert 1 == main(["silence", "expire", "--config", config, "sil_nope"])
    assert "no silence 'sil_nope'" in capsys.readouterr().err


def test_alerts_shows_what_muted_an_alert(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import dataclasses
    from datetime import UTC, datetime

    from tests.storage.storecase import alerting, batch, item, polled_once, verdict
    from wirewatch.storage.sqlite import SqliteStore

    async def fill() -> None:
        async with SqliteStore(tmp_path / "data" / "wirewatch.db") as store:
            await polled_once(store)
            why = "silence sil_a: covered live"
            muted = dataclasses.replace(verdict(destinations=()), muted=why)
            now = datetime.now(UTC)
            await store.ingest(batch(alerting(item("a1"), muted), now=now))

    asyncio.run(fill())
    assert 0 == main(["alerts", "--config", config])
    assert "deliveries: muted (silence sil_a: covered live)" in capsys.readouterr().out
    assert 0 == main(["alerts", "--config", config, "--json"])
    assert '"muted": "silence sil_a: covered live"' in capsys.readouterr().out
