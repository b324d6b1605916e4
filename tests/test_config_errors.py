"""Config errors that name their cause: environment overrides, storage URLs, missing databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from wirewatch.cli import main
from wirewatch.config.settings import load_config
from wirewatch.errors import ConfigError


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text("fetch:\n  interval: 5m\n", encoding="utf-8")
    return path


def located(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.located


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "WIREWATCH_FETCH__INTERVAL",
            "2x",
            "environment variable WIREWATCH_FETCH__INTERVAL: fetch.interval: '2x' is not a"
            " duration (use seconds or 30s, 5m, 1.5h, 1h30m, 2d, 2w)",
        ),
        (
            "WIREWATCH_FETCH__INTERVL",
            "2m",
            "environment variable WIREWATCH_FETCH__INTERVL sets an unknown key; did you mean"
            " WIREWATCH_FETCH__INTERVAL?",
        ),
        (
            "WIREWATCH_FETCHH__INTERVAL",
            "2m",
            "environment variable WIREWATCH_FETCHH__INTERVAL sets nothing; did you mean"
            " WIREWATCH_FETCH__INTERVAL?",
        ),
    ],
)
def test_environment_overrides_are_named_as_such(
    config: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert [expected] == located(config)


def test_variables_that_are_not_settings_are_left_alone(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIREWATCH_CONFIG", str(config))
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", "/tmp")
    assert 300.0 == load_config(config).fetch.interval


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u@h/db", "mysql: is not a storage this version knows"),
        ("postgressql://u@h/db", "did you mean postgresql://?"),
        ("postgresql:u@h/db", "write postgresql://user:pass@host/db"),
    ],
)
def test_storage_urls_are_checked(tmp_path: Path, url: str, expected: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"storage: {{url: '{url}'}}\n", encoding="utf-8")
    [line] = located(path)
    assert line.startswith(f"{path}:1:16: storage.url: ") and expected in line


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgres://u@h/db", "x.db"])
def test_good_storage_urls_pass(tmp_path: Path, url: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"storage: {{url: '{url}'}}\n", encoding="utf-8")
    assert url == load_config(path).storage.url


@pytest.mark.parametrize("command", [["alerts"], ["backtest", "--watchlist", "W"]])
def test_read_only_commands_refuse_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    watchlist = str(REPO / "config/watchlists/syria.yaml")
    path = tmp_path / "c.yaml"
    path.write_text(f"watchlists: ['{watchlist}']\ndata_dir: wrong\n", encoding="utf-8")
    args = [a.replace("W", watchlist) if a == "W" else a for a in command]
    assert 2 == main([*args, "--config", str(path)])
    assert f"no database at {tmp_path / 'wrong' / 'wirewatch.db'}" in capsys.readouterr().err
    assert not (tmp_path / "wrong").exists()
