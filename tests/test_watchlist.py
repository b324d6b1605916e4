"""Watchlist files: strict validation, every problem named with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from wirewatch.errors import WatchlistError
from wirewatch.match.watchlist import load_watchlist


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    assert str(path) == info.value.source
    return info.value.problems


def test_shipped_watchlist_is_valid() -> None:
    """config/watchlists/syria.yaml loads and covers the article's places and actors."""
    watchlist = load_watchlist(REPO / "config/watchlists/syria.yaml")
    ids = {e.id for e in watchlist.entities}
    expected = {
        "homs",
        "hama",
        "aleppo",
        "damascus",
        "daraa",
        "deir_ezzor",
        "nawa",
        "busra_al_sham",
        "euphrates",
        "assad",
        "hts",
        "jolani",
        "sohr",
        "sdf",
        "sna",
        "russia",
        "iran",
        "china",
        "turkey",
        "un",
        "pedersen",
        "guterres",
    }
    assert expected <= ids


def test_unknown_key_names_entity_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path, "name: t\nentities:\n  - {id: hama, kind: place, names: [Hama], colour: red}\n"
    )
    assert problems(path) == [
        "entities[0] (id 'hama').colour: unknown key (check the spelling; see config/watchlists/syria.yaml)"
    ]


def test_duplicate_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: t\nentities:\n  - {id: a, kind: place, names: [A]}\n  - {id: a, kind: actor, names: [B]}\n",
    )
    assert problems(path) == ["(top level): duplicate entity id(s): a"]


@pytest.mark.parametrize(
    ("name", "message"),
    [('" "', "[0] is empty"), ('"--"', "[0] '--' folds to nothing (no letter or digit)")],
)
def test_empty_or_punctuation_names(tmp_path: Path, name: str, message: str) -> None:
    path = write(tmp_path, f"name: t\nentities:\n  - {{id: x, kind: place, names: [{name}]}}\n")
    assert [f"entities[0] (id 'x').names: {message}"] == problems(path)


def test_bad_yaml_gives_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\nentities: [\n")
    [problem] = problems(path)
    assert problem.startswith("not valid YAML:") and "line" in problem


def test_missing_file(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == ["file not found"]


def test_display_name_is_the_label_else_the_first_name() -> None:
    """An entity is shown by its `label`, or by its first name when it has none."""
    from wirewatch.match.watchlist import Entity, Watchlist, entity_labels
    from wirewatch.model import Classification, Match

    russia = Entity(id="russia", kind="actor", names=("Moscow", "Russia"), label="Russia")
    homs = Entity(id="homs", kind="place", names=("Homs", "Hims"))
    watchlist = Watchlist(name="w", entities=(russia, homs))
    found = Classification(
        "w", "i", True, (Match("russia", "actor", "Moscow", "title", 0, 6, "Moscow"),)
    )
    assert ("Russia", "Homs") == (russia.display_name, homs.display_name)
    assert (("russia", "Russia"),) == entity_labels(watchlist, found)


def test_a_100_kb_name_is_refused_with_its_length(tmp_path: Path) -> None:
    """The automaton's build time grows with the square of a name's length: a 100 KB name
    (minutes to compile) is refused at once, naming the entity, the name and the limit."""
    name = "Homs " * 20_000
    path = write(
        tmp_path, f"name: t\nentities:\n  - {{id: x, kind: place, names: [Hama, '{name}']}}\n"
    )
    assert [
        "entities[0] (id 'x').names: [1] is 100,000 characters long; at most 300 are allowed "
        "(a name, not a text)"
    ] == problems(path)


def test_a_name_of_300_characters_is_allowed(tmp_path: Path) -> None:
    path = write(
        tmp_path, f"name: t\nentities:\n  - {{id: x, kind: place, names: [{'a' * 300}]}}\n"
    )
    assert 300 == len(load_watchlist(path).entities[0].names[0])
