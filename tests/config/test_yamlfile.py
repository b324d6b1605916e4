"""The one YAML file reader: config files and watchlists fail the same way, each problem one
ConfigError line that names the file (and, for bad YAML, the line and column)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wirewatch.config.settings import load_config
from wirewatch.config.yamlfile import read_file
from wirewatch.errors import ConfigError, WatchlistError
from wirewatch.match.watchlist import load_watchlist


def failure(path: Path, error: type[ConfigError] = ConfigError) -> ConfigError:
    with pytest.raises(error) as caught:
        read_file(path, error=error)
    return caught.value


def test_a_file_reads_as_its_text_and_document(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: syria\nnames: [Homs, حمص]\n", encoding="utf-8")

    assert (path.read_text(encoding="utf-8"), {"name": "syria", "names": ["Homs", "حمص"]}) == (
        read_file(path)
    )


def test_bad_yaml_is_located_at_file_line_column(tmp_path: Path) -> None:
    """The located form is `file:line:column: not valid YAML: ...`."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nentities: [\n", encoding="utf-8")

    error = failure(path)

    assert [f"{path}:3:1: not valid YAML: did not find expected node content"] == error.located
    assert ["not valid YAML: did not find expected node content at line 3, column 1"] == (
        error.problems
    )


def test_an_unclosed_quote_is_located_where_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "quote.yaml"
    path.write_text("a: 1\nb: 'open\nc: 2\n", encoding="utf-8")

    (located,) = failure(path).located

    assert located.startswith(f"{path}:2:4: not valid YAML: while scanning a quoted scalar")
    assert located.endswith("; a quote is not closed")


def test_a_file_that_is_not_utf8_says_which_byte_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Hom\xe7\n".encode("latin-1"))

    assert [f"{path}: not UTF-8 text (byte 0xe7 at offset 9); save the file as UTF-8"] == (
        failure(path).located
    )


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    """What the operating system says, without errno noise or a traceback."""
    assert [f"{tmp_path}: cannot read: Is a directory"] == failure(tmp_path).located


def test_config_and_watchlist_fail_in_the_same_form(tmp_path: Path) -> None:
    """Both loaders go through the one reader: same located line, their own error class and
    their own advice for a missing file."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as config:
        load_config(bad)
    with pytest.raises(WatchlistError) as watchlist:
        load_watchlist(bad)

    assert config.value.located == watchlist.value.located == failure(bad).located
    with pytest.raises(ConfigError, match=r"file not found \(pass --config FILE\)"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(WatchlistError, match=r"file not found$"):
        load_watchlist(tmp_path / "nope.yaml")
