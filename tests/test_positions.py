"""Config and watchlist problems as `file:line:column: path: message`, in plain words, with
the YAML 1.1 traps named (_positions.py, _validation.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wirewatch.config.settings import load_config
from wirewatch.errors import ConfigError
from wirewatch.loading import load_everything
from wirewatch.match.watchlist import load_watchlist


def located(load: object, path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path)  # type: ignore[operator]
    return [line.removeprefix(f"{path}:") for line in caught.value.located]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path.resolve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "entities:\n  - {id: homs, kind: plac, names: [Homs]}\nname: w\n",
            "2:22: entities[0] (id 'homs').kind: 'plac' is not allowed here; use 'place' or"
            " 'actor'",
        ),
        (
            "name: w\nentities:\n  - id: homs\n    kind: place\n    names: [Norway, NO]\n",
            "5:21: entities[0] (id 'homs').names[1]: NO is read as the boolean false in YAML;"
            ' if you mean the text, quote it: "NO"',
        ),
        (
            "name: w\nentities:\n  - id: on\n    kind: place\n    names: [X]\n",
            "3:9: entities[0].id: on is read as the boolean true in YAML; if you mean the text,"
            ' quote it: "on"',
        ),
        (
            "name: w\nentities:\n  - {id: Homs, kind: place, names: [Homs]}\n",
            "3:10: entities[0] (id 'Homs').id: 'Homs' has the wrong form: it must match"
            " ^[a-z0-9][a-z0-9_-]*$",
        ),
        (
            "name: w\nentities:\n  - {id: x, kind: place, nmes: [X]}\n",
            "3:26: entities[0] (id 'x').nmes: unknown key; did you mean 'names'? (see"
            " config/watchlists/syria.yaml)",
        ),
        (
            "name: w\nentities:\n  - {id: x, kind: place, names: [X], severity: hihg}\n",
            "3:48: entities[0] (id 'x').severity: 'hihg' is not allowed here; use 'info', 'low',"
            " 'normal', 'high' or 'critical'",
        ),
    ],
)
def test_watchlist_problems_have_a_place_and_plain_words(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert [expected] == located(load_watchlist, write(tmp_path, "w.yaml", text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feeds: {url: x}\n", "1:8: feeds: expected a list, not a mapping {'url': 'x'}"),
        ("fetch:\n  interval: 5m\n  intervall: 5m\n", "3:3: fetch.intervall: unknown key"),
        ("http: {port: 99999}\n", "1:14: http.port: 99999 is too large: it must be at most 65535"),
        (
            'watchlists: [a.yaml]\nfeeds:\n  - {url: "https://x.org/a}\n\n\n',
            "3:11: not valid YAML: while scanning a quoted scalar, found unexpected end of stream"
            " at line 6, column 1; a quote is not closed",
        ),
    ],
)
def test_config_problems_have_a_place(tmp_path: Path, text: str, expected: str) -> None:
    [line] = located(load_config, write(tmp_path, "c.yaml", text))
    assert line.startswith(expected), line


def test_reference_problems_point_into_the_config(tmp_path: Path) -> None:
    write(tmp_path, "w.yaml", "name: w\nentities:\n  - {id: homs, kind: place, names: [Homs]}\n")
    path = write(
        tmp_path,
        "c.yaml",
        "watchlists: [w.yaml]\nroute:\n  notifiers: all\n  routes:\n"
        "    - {entities: [homz], drop: true}\n",
    )
    assert [
        "5:18: route.routes[0].entities: no entity 'homz' is defined; did you mean 'homs'?"
    ] == located(load_everything, path)
