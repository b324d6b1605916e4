"""YAML aliases are shared, and a document of nested aliases ("billion laughs") is refused."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wirewatch.config.expand import expand as _expand
from wirewatch.config.yamlfile import load


def laughs(levels: int = 9, width: int = 9, head: str = "") -> str:
    """A billion-laughs document: each level lists `width` aliases of the level below."""
    lines = [head, 'l0: &l0 ["lol"' + ',"lol"' * (width - 1) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_gives_the_object_of_its_anchor() -> None:
    """`*x` is the very list `&x` built, not a copy of it."""
    loaded = load("a: &x [1, two, {c: d}]\nb: *x\nc: [*x, *x]\n")
    assert loaded["a"] is loaded["b"]
    assert loaded["c"][0] is loaded["a"] and loaded["c"][1] is loaded["a"]


def test_nested_aliases_are_refused_before_anything_is_built() -> None:
    """A few hundred bytes that would expand to 10^8 strings fail with a YAMLError naming it."""
    text = laughs()
    assert len(text.encode()) < 600
    with pytest.raises(yaml.YAMLError) as caught:
        load(text)
    assert "excessive aliasing" in str(caught.value)


def test_ordinary_reuse_of_anchors_is_allowed() -> None:
    """An anchor reused many times, merge keys included, is what aliases are for."""
    text = "base: &b {kind: place, tags: [a, b, c]}\n" + "".join(
        f"e{i}: {{<<: *b, id: x{i}}}\nr{i}: *b\n" for i in range(200)
    )
    loaded = load(text)
    assert {"kind": "place", "tags": ["a", "b", "c"], "id": "x199"} == loaded["e199"]
    assert loaded["r0"] is loaded["base"]


def test_a_big_anchor_used_many_times_is_allowed() -> None:
    """go-yaml's rule lets 99% of a document of up to 400,000 nodes come through aliases."""
    text = laughs(levels=1, width=100) + "uses: [" + ", ".join(["*l0"] * 90) + "]\n"
    loaded = load(text)
    assert 90 * 100 == sum(len(inner) for inner in loaded["uses"])


def test_the_config_expansion_copies_a_shared_node_once() -> None:
    """Expanding `${VAR}` and `*_file` keys meets a shared node once per reference, but makes
    one copy of it: 2^40 paths through 40 shared levels cost 40 copies."""
    node: object = {"value": "${WIREWATCH_TEST_UNSET_VAR_X}"}
    for _ in range(40):
        node = [node, node]
    problems: list[str] = []
    expanded = _expand({"top": node}, "", problems, Path("."), {})
    inner = expanded["top"]
    assert inner[0] is inner[1]
    assert ["top[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
            "[0][0][0][0][0][0][0][0][0][0][0][0][0][0].value: environment variable "
            "WIREWATCH_TEST_UNSET_VAR_X is not set"] == problems  # fmt: skip


def _capped() -> None:
    limit = 1 << 30  # 1 GiB of address space: the bomb needed 12 GB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def wirewatch(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_capped,
    )


def test_classify_refuses_a_bomb_watchlist_in_one_line(tmp_path: Path) -> None:
    """Under a 1 GiB memory cap: exit 2, one line naming the file, the problem and the fix."""
    path = tmp_path / "bomb.yaml"
    path.write_text(laughs(head="name: w") + "entities: [{id: a, kind: place, names: *l8}]\n")
    result = wirewatch("classify", "--no-cache", "--watchlist", str(path), stdin='{"id": "1"}\n')
    assert 2 == result.returncode
    [line] = result.stderr.splitlines()
    assert str(path) in line
    assert "excessive aliasing" in line and "nest fewer aliases" in line
    assert "" == result.stdout


def test_check_config_refuses_a_bomb_config(tmp_path: Path) -> None:
    path = tmp_path / "wirewatch.yaml"
    path.write_text(laughs(head="feeds: []"))
    result = wirewatch("check-config", "--config", str(path))
    assert 2 == result.returncode
    assert str(path) in result.stderr
    assert "excessive aliasing" in result.stderr
    assert "Traceback" not in result.stderr
