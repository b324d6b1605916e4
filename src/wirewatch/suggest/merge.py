"""Adding suggestions to an analyst's watchlist without touching what the analyst wrote.

The file is edited as text, so its comments, order and quoting stay: a new name of an existing
entity is appended at the end of its `names:` list (flow `[...]` or block `- name`), and new
entities are appended after the last line of `entities:`, marked as suggested. The result is
validated before it is returned.
"""

from __future__ import annotations

import re
from pathlib import Path

from wirewatch.errors import InputError
from wirewatch.match.fold import fold_name
from wirewatch.match.watchlist import Watchlist, load_watchlist, parse_watchlist
from wirewatch.suggest.model import Suggestion
from wirewatch.suggest.propose import ACTIVE
from wirewatch.suggest.render import _scalar, entity_lines

_TOP_KEY = re.compile(r"^[A-Za-z_]+:")


def merge_into(path: str, suggestions: list[Suggestion], *, source: str) -> str:
    existing = load_watchlist(path)  # a WatchlistError names what is wrong with it
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    known = {fold_name(n): e.id for e in existing.entities for n in e.names}
    ids = {e.id for e in existing.entities}
    new: list[Suggestion] = []
    for suggestion in (s for s in suggestions if s.confidence >= ACTIVE):
        owners = {known[fold_name(n)] for n in suggestion.names if fold_name(n) in known}
        if len(owners) == 1:
            owner = owners.pop()
            fresh = [n for n in suggestion.names if fold_name(n) not in known]
            lines = _add_names(lines, owner, fresh)
            known.update((fold_name(n), owner) for n in fresh)
        elif not owners:
            while suggestion.id in ids:
                suggestion.id += "_new"
            ids.add(suggestion.id)
            new.append(suggestion)
    if new:
        at = _end_of_entities(lines)
        added = [f"  # ---- suggested from {source} " + "-" * 20]
        for suggestion in new:
            added += entity_lines(suggestion)
        lines[at:at] = added
    text = "\n".join(lines) + "\n"
    _check(text, path)
    return text


def _add_names(lines: list[str], entity_id: str, names: list[str]) -> list[str]:
    if not names:
        return lines
    own_id = re.compile(rf"\bid:\s*{re.escape(entity_id)}\b")
    start = next((i for i, line in enumerate(lines) if own_id.search(line)), None)
    if start is None:
        return lines
    for index in range(start, min(len(lines), start + 30)):
        line = lines[index]
        flow = re.search(r"names:\s*\[(.*)\]", line)
        if flow:
            extra = ", ".join(_scalar(n) for n in names)
            head, tail = line[: flow.end() - 1], line[flow.end() - 1 :]
            lines[index] = f"{head}, {extra}{tail}"
            return lines
        if re.match(r"\s*names:\s*$", line):
            first = re.match(r"(\s*)- ", lines[index + 1]) if index + 1 < len(lines) else None
            indent = first.group(1) if first else line[: len(line) - len(line.lstrip())] + "  "
            end = index + 1
            while end < len(lines) and lines[end].startswith(f"{indent}- "):
                end += 1
            lines[end:end] = [f"{indent}- {_scalar(n)}" for n in names]
            return lines
    return lines


def _end_of_entities(lines: list[str]) -> int:
    start = next((i for i, x in enumerate(lines) if x.startswith("entities:")), len(lines))
    for index in range(start + 1, len(lines)):
        if _TOP_KEY.match(lines[index]):
            return index
    return len(lines)


def _check(text: str, path: str) -> Watchlist:
    from wirewatch.config.yamlfile import load

    try:
        return parse_watchlist(load(text), source=path)
    except Exception as e:  # a merge that breaks the file is our bug: say so, keep the file
        raise InputError(f"{path}: merging would make it invalid ({e}); nothing written") from None
