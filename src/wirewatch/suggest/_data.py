"""The small word lists `suggest` ships (src/wirewatch/data/suggest/), read once."""

from __future__ import annotations

import functools
from importlib.resources import files

from wirewatch.match.fold import fold_name


def _lines(name: str) -> list[list[str]]:
    text = files("wirewatch").joinpath(f"data/suggest/{name}").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return [row for row in rows if row and row[0]]


@functools.cache
def noise() -> frozenset[str]:
    """Folded words and names never proposed (days, months, outlets, page furniture)."""
    return frozenset(fold_name(row[0]) for row in _lines("noise.txt"))


@functools.cache
def organisations() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(id, names) of well-known organisations, first name the label."""
    return tuple((row[0], tuple(row[1].split("|"))) for row in _lines("organisations.tsv"))


@functools.cache
def state_names() -> dict[str, tuple[str, ...]]:
    """ISO country code: demonyms and other names of the state."""
    return {row[0]: tuple(row[1].split("|")) for row in _lines("demonyms.tsv")}
