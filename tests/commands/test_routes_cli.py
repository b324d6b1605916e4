"""`wirewatch routes show` and `wirewatch routes test`, run in-process over a small config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wirewatch.cli import main

WATCHLIST = """\
name: levant
entities:
  - {id: homs, kind: place, names: [Homs], severity: high, tags: [city]}
  - {id: hama, kind: place, names: [Hama]}
  - {id: un, kind: actor, names: [UN]}
"""
CONFIG = """\
watchlists: [levant.yaml]
notifiers: [{name: desk, type: console}, {name: pager, type: console}]
route:
  notifiers: all
  routes:
    - name: urgent
      matchers: ["severity >= high"]
      notifiers: [pager]
      continue: true
    - name: hama-noise
      entities: [hama]
      drop: true
"""


@pytest.fixture
def config(tmp_path: Path) -> str:
    (tmp_path / "levant.yaml").write_text(WATCHLIST, encoding="utf-8")
    path = tmp_path / "wirewatch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return str(path)


def test_show_prints_the_tree(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == main(["routes", "show", "--config", config])
    assert [
        "route: every alert -> desk, pager",
        "├─ route.routes[0] (urgent): severity >= high -> pager  [continue]",
        "└─ route.routes[1] (hama-noise): entity = hama -> drop",
    ] == capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("args", "receivers", "routes"),
    [
        # homs is high: urgent takes it and continues; nothing after matches, so urgent only
        (["--entity", "homs"], ["pager"], [["route", "route.routes[0]"]]),
        # the UN alone reaches no child: the root's default receiver
        (["--entity", "un"], ["desk", "pager"], [["route"]]),
        (["--entity", "hama"], [], [["route", "route.routes[1]"]]),
        # an explicit severity wins over the watchlist's
        (["--entity", "homs", "--severity", "low"], ["desk", "pager"], [["route"]]),
    ],
)
def test_test_says_who_gets_an_alert_and_why(
    config: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    receivers: list[str],
    routes: list[list[str]],
) -> None:
    assert 0 == main(["routes", "test", "--config", config, "--json", *args])
    result = json.loads(capsys.readouterr().out)
    assert (receivers, routes) == (result["receivers"], result["routes"])


def test_test_reads_an_item(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = tmp_path / "item.jsonl"
    item.write_text('{"id": "1", "title": "Shelling near Homs"}\n', encoding="utf-8")
    assert 0 == main(["routes", "test", "--config", config, "--item", str(item)])
    assert [
        "alert levant: entities homs; severity high; tags city",
        "  route > route.routes[0] (urgent) -> pager",
        "  receivers: pager",
    ] == capsys.readouterr().out.splitlines()


def test_test_reads_one_pretty_printed_object(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = tmp_path / "item.json"
    item.write_text('{\n  "id": "1",\n  "title": "The UN in Hama"\n}\n', encoding="utf-8")
    assert 0 == main(["routes", "test", "--config", config, "--item", str(item), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert (["hama", "un"], []) == (sorted(result["entities"]), result["receivers"])


def test_an_unknown_entity_is_a_usage_error(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert 2 == main(["routes", "test", "--config", config, "--entity", "homz"])
    assert "watchlist 'levant' has no entity homz" in capsys.readouterr().err


def test_check_config_says_what_the_old_routes_list_means(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "levant.yaml").write_text(WATCHLIST, encoding="utf-8")
    path = tmp_path / "old.yaml"
    path.write_text(
        "watchlists: [levant.yaml]\nnotifiers: [{name: desk, type: console}]\n"
        "routes: [{notifiers: [desk], entities: [homs]}]\n",
        encoding="utf-8",
    )
    assert 0 == main(["check-config", "--config", str(path)])
    out = capsys.readouterr().out
    assert "routing: 1 route(s) below the root; default: drop" in out
    assert "routes: is the old list form; alerts that no route matches are dropped" in out
    assert 0 == main(["routes", "show", "--config", str(path)])
    assert [
        "(read from the old `routes:` list: each route continues; unmatched alerts drop)",
        "route (no route matched): every alert -> drop",
        "└─ route.routes[0]: entity = homs -> desk  [continue]",
    ] == capsys.readouterr().out.splitlines()
