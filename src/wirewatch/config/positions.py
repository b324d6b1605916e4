"""Where in a YAML file a problem is: `file:line:column` for problems named by key path.

Used on the error path only: the fast loader (yamlfile.py) keeps no positions, so when a config or
watchlist is wrong its text is composed again here, with PyYAML's node marks, and each problem
("feeds[0] (name 'x').interval: ...") is looked up by its key path. Also spots the YAML 1.1
traps: a plain `NO`, `on` or `yes` is a boolean, `1948` or `1e3` a number, `~` nothing, where
a string was meant; the problem then says so and how to quote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from wirewatch.config.yamlfile import MappingNode, Node, ScalarNode, SequenceNode, compose

_PATH = re.compile(
    r"^((?:[A-Za-z_][\w-]*|\[\d+\])(?:\.[A-Za-z_][\w-]*|\[\d+\]|\s\((?:id|name)\s'[^']*'\))*)"
    r"(?=: )"
)
_TOKEN = re.compile(r"\[(\d+)\]|([A-Za-z_][\w-]*)")
_LABEL = re.compile(r"\s\((?:id|name)\s'[^']*'\)")
_TRAPS = {
    "tag:yaml.org,2002:bool": "the boolean {bool}",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:timestamp": "a date",
}
_TRUE = {"yes", "y", "true", "on"}


def path_of(problem: str) -> tuple[int | str, ...] | None:
    """The key path a problem starts with: `feeds[0] (name 'x').url: ...` -> ("feeds", 0, "url")."""
    found = _PATH.match(problem)
    if not found:
        return None
    bare = _LABEL.sub("", found.group(1))
    return tuple(int(i) if i else key for i, key in _TOKEN.findall(bare))


def find(root: Node | None, path: Iterable[int | str]) -> tuple[Node | None, Node | None]:
    """The (key node, value node) at `path`; (None, None) where the path leaves the file."""
    key_node: Node | None = None
    node = root
    for part in path:
        key_node, node = _child(node, part)
        if node is None:
            return key_node, None
    return key_node, node


def _child(node: Node | None, part: int | str) -> tuple[Node | None, Node | None]:
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: Node = node.value[part]
        return None, item
    return None, None


def trap(node: Node | None) -> str | None:
    """What a plain scalar that YAML 1.1 reads as no string is read as, with a fix."""
    if not isinstance(node, ScalarNode) or node.style or node.tag not in _TRAPS:
        return None
    value = str(node.value)
    what = _TRAPS[node.tag].format(bool=str(value.lower() in _TRUE).lower())
    return f'{value} is read as {what} in YAML; if you mean the text, quote it: "{value}"'


def locate(file: str, text: str, problems: Iterable[str]) -> list[str]:
    """Each problem as `file:line:column: problem` (`file: problem` where it has no place)."""
    root = compose(text)
    return [_one(file, root, problem) for problem in problems]


def _one(file: str, root: Node | None, problem: str) -> str:
    path = path_of(problem)
    if path is None or root is None:
        return f"{file}: {problem}"
    key, value = find(root, path)
    fix = trap(value)
    if fix and _about_type(problem):
        problem = f"{problem.split(': ', 1)[0]}: {fix}"
    node = key if key is not None and (value is None or "unknown key" in problem) else value
    if node is None:
        node = _deepest(root, path)
        if node is root:  # not in the file at all
            return f"{file}: {problem}"
    mark = node.start_mark if node is not None else None
    if mark is None:
        return f"{file}: {problem}"
    return f"{file}:{mark.line + 1}:{mark.column + 1}: {problem}"


def _about_type(problem: str) -> bool:
    return any(
        words in problem
        for words in ("expected ", "not allowed", "valid string", "should be", "is not a")
    )


def _deepest(root: Node, path: tuple[Any, ...]) -> Node | None:
    """The last node on `path` that the file has (a missing key is reported at its parent)."""
    node: Node | None = root
    for part in path:
        _, child = _child(node, part)
        if child is None:
            return node
        node = child
    return node
