"""`wirewatch.config.yamlfile.load` gives exactly what `yaml.safe_load` gives, only faster."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from wirewatch.config.yamlfile import load

DOCUMENTS = [
    "name: syria\nentities:\n  - {id: hama, kind: place, names: [Hama, 'Hamah', \"حماة\"]}\n",
    "plain: text\nquoted: 'yes'\nbool: yes\nno_: no\nnull_: ~\nempty:\nint: 12\nfloat: 1.5\n",
    "octal: 0o17\nhex: 0x1F\nsexagesimal: 1:30\ninf: .inf\nnan_like: NaNa\nneg: -3\n",
    "date: 2024-12-08\nstamp: 2024-12-08T06:00:00Z\nversion: 1.3.5\n",
    "base: &b {kind: place, tags: [a]}\nfirst: {<<: *b, id: x}\nsecond: *b\n",
    "explicit: !!str 123\nbinary: !!binary aGVsbG8=\nset: !!set {a, b}\n",
    "? complex key\n: value\n'1': one\n1: int one\n",
    "list:\n- - nested\n  - list\n- {a: [1, 2, {b: c}]}\n",
    "folded: >\n  two\n  lines\nliteral: |\n  keep\n  lines\n",
    "",
    "just a scalar",
    "- 1\n- two\n- 3.0\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_same_result_as_safe_load(text: str) -> None:
    assert load(text) == yaml.safe_load(text)


def test_types_are_those_of_safe_load() -> None:
    loaded = load("a: 1\nb: true\nc: 2024-12-08\nd: '1'\ne: null\n")
    assert loaded == {"a": 1, "b": True, "c": dt.date(2024, 12, 8), "d": "1", "e": None}
    assert [type(v) for v in loaded.values()] == [int, bool, dt.date, str, type(None)]


def test_a_node_that_contains_itself_is_still_built() -> None:
    loaded = load("a: &x [1, *x]\n")
    assert loaded["a"][0] == 1
    assert loaded["a"][1][1] is loaded["a"][1]  # the inner list is PyYAML's recursive one


@pytest.mark.parametrize(
    "text", ["a: [1, 2\n", "a: b: c\n", "? [a]\n: unhashable\n", "x: !!python/object:os.system {}"]
)
def test_errors_are_yaml_errors(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        load(text)


@pytest.mark.parametrize("path", sorted((REPO / "config").rglob("*.yaml")), ids=lambda p: p.name)
def test_shipped_files_load_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert load(text) == yaml.safe_load(text)
