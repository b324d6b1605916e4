"""The config file contract (docs/configuration.md) and `wirewatch check-config`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from wirewatch.config.settings import load_config, sqlite_path
from wirewatch.errors import ConfigError


def write(folder: Path, text: str, name: str = "wirewatch.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path.resolve()) == caught.value.source
    return caught.value.problems


def check_config(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", "check-config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_the_shipped_config_is_valid() -> None:
    result = check_config("--config", str(REPO / "config/wirewatch.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("wirewatch.yaml: OK")
    assert "watchlists: syria" in result.stdout


def test_an_empty_file_gives_the_defaults_beside_it(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert (tmp_path / "data", (tmp_path / "watchlists/syria.yaml",)) == (
        config.data_dir,
        config.watchlists,
    )
    assert (300.0, tmp_path / "data/wirewatch.db") == (config.fetch.interval, sqlite_path(config))


def test_every_problem_is_listed_with_its_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds:\n"
        "  - {url: 'https://example.org/a.xml', intervall: 5m}\n"
        "  - {url: 'ftp://example.org/b'}\n"
        "fetch: {timeout: soon}\n"
        "notifiers:\n"
        "  - {name: hook, type: webhook}\n",
    )
    assert [
        "feeds[0].intervall: unknown key; did you mean 'interval'? (see config/wirewatch.yaml)",
        "feeds[1].url: 'ftp://example.org/b' is not an http, https or file URL",
        "fetch.timeout: 'soon' is not a duration (use seconds or 30s, 5m, 6h, 2d)",
        "notifiers[0] (name 'hook'): a webhook notifier needs url (or url_file)",
    ] == problems(path)


def test_cross_checks(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds: [{url: 'https://example.org/a.xml'}, {url: 'https://example.org/a.xml'}]\n"
        "notifiers: [{name: all, type: console}]\n"
        "route: {notifiers: all}\n"
        "routes: [{notifiers: [all]}]\n",
    )
    [problem] = problems(path)
    assert "notifier name 'all' is reserved" in problem
    assert "route and routes: use one" in problem
    assert "feed 'https://example.org/a.xml' is listed twice" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feeds: [\n", "not valid YAML: did not find expected node content at line 2, column 1"),
        ("- just\n- a list\n", "expected a mapping of settings at the top level"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, expected: str) -> None:
    assert [expected] == problems(write(tmp_path, text))


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    assert ["file not found (pass --config FILE)"] == problems(tmp_path / "nope.yaml")


def test_durations_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data_dir: state\n"
        "watchlists: [lists/mine.yaml]\n"
        "feeds: [{url: 'file://feeds/local.xml', interval: 90s}]\n"
        "fetch: {interval: 2m, backoff_cap: 1d}\n",
    )
    config = load_config(path)
    assert (tmp_path / "state", (tmp_path / "lists/mine.yaml",)) == (
        config.data_dir,
        config.watchlists,
    )
    assert (tmp_path / "feeds/local.xml").as_uri() == config.feeds[0].url
    assert (90.0, 120.0, 86400.0) == (
        config.feed_interval(config.feeds[0]),
        config.fetch.interval,
        config.fetch.backoff_cap,
    )


def test_secrets_from_the_environment_and_from_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets/hook").write_text("whsec_c2VjcmV0\n")
    monkeypatch.setenv("HOOK_URL", "https://hooks.example.org/abc")
    path = write(
        tmp_path,
        "notifiers:\n"
        "  - {name: hook, type: webhook, url: '${HOOK_URL}', secret_file: secrets/hook}\n",
    )
    [hook] = load_config(path).notifiers
    assert ("https://hooks.example.org/abc", "whsec_c2VjcmV0") == (hook.url, hook.secret)


def test_missing_secrets_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOK_URL", raising=False)
    path = write(
        tmp_path,
        "notifiers:\n"
        "  - {name: hook, type: webhook, url: '${HOOK_URL}', secret_file: nosuch.txt}\n",
    )
    assert [
        "notifiers[0].url: environment variable HOOK_URL is not set",
        "notifiers[0].secret_file: cannot read secret file nosuch.txt: No such file or directory",
    ] == problems(path)


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "http: {port: 8000, host: 127.0.0.1}\nfetch: {interval: 10m}\n")
    monkeypatch.setenv("WIREWATCH_HTTP__PORT", "9123")
    monkeypatch.setenv("WIREWATCH_FETCH__INTERVAL", "2m")
    monkeypatch.setenv("WIREWATCH_FEEDS", '[{"url": "https://example.org/env.xml"}]')
    config = load_config(path)
    assert (9123, "127.0.0.1", 120.0) == (config.http.port, config.http.host, config.fetch.interval)
    assert ["https://example.org/env.xml"] == [f.url for f in config.feeds]


def test_an_environment_override_that_is_not_json_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`WIREWATCH_FEEDS='[{...'` is one problem naming the variable, not a SettingsError."""
    path = write(tmp_path, "fetch: {interval: 10m}\n")
    monkeypatch.setenv("WIREWATCH_FEEDS", '[{"url": ')

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    [problem] = raised.value.problems
    assert problem.startswith("environment variable WIREWATCH_FEEDS: not valid JSON")


def test_check_config_reports_problems_in_one_block_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "fetch: {timeout: soon, colour: blue}\n")
    result = check_config("--config", str(path))
    assert 2 == result.returncode
    assert [
        f"{path.resolve()}: 2 problem(s)",
        f"  {path.resolve()}:1:18: fetch.timeout: 'soon' is not a duration"
        " (use seconds or 30s, 5m, 6h, 2d)",
        f"  {path.resolve()}:1:24: fetch.colour: unknown key"
        " (check the spelling; see config/wirewatch.yaml)",
    ] == result.stderr.splitlines()
    assert "" == result.stdout


def test_check_config_names_a_bad_watchlist(tmp_path: Path) -> None:
    write(tmp_path, "name: w\nentities:\n  - {id: x, kind: town, names: [X]}\n", "w.yaml")
    path = write(tmp_path, "watchlists: [w.yaml]\n")
    result = check_config("--config", str(path))
    assert 2 == result.returncode
    assert "w.yaml" in result.stderr
    assert "entities[0] (id 'x').kind" in result.stderr
    assert "Traceback" not in result.stderr


def test_retry_policy_defaults_and_older_spellings(tmp_path: Path) -> None:
    """`retry` sets the probe cap and age limit; without it the defaults hold (60 s, 1 day, no
    attempt limit) and the older top-level `max_age`/`max_attempts` still apply."""
    from wirewatch.notify.console import ConsoleConfig

    plain = ConsoleConfig(name="a", type="console")
    assert (60.0, 86400.0, None) == (
        plain.retry_policy.max_backoff,
        plain.retry_policy.max_age,
        plain.retry_policy.max_attempts,
    )
    tuned = ConsoleConfig(name="a", type="console", retry={"max_backoff": "10s", "max_age": "2h"})
    assert (10.0, 7200.0) == (tuned.retry_policy.max_backoff, tuned.retry_policy.max_age)
    older = ConsoleConfig(name="a", type="console", max_age="2h", max_attempts=3)
    assert (7200.0, 3) == (older.retry_policy.max_age, older.retry_policy.max_attempts)
    with pytest.raises(ValueError, match="inside retry"):
        ConsoleConfig(name="a", type="console", retry={}, max_age="2h")
