"""Large JSON Lines inputs are classified by two processes: this machine's cores both work.

The second process is forked, so it inherits the compiled matcher instead of rebuilding it;
it classifies the second half and returns its JSON Lines while this process does the first.
"""

from __future__ import annotations

import multiprocessing
from typing import IO

from wirewatch.commands.classify import jsonl_items, render, write_bytes
from wirewatch.match.classifier import Matcher

_matcher: Matcher | None = None
_lines: list[bytes] = []


def classify_jsonl_in_two(
    matcher: Matcher, data: bytes, out: IO[str], *, only_alerts: bool
) -> list[str]:
    """Write the results of every line of `data`, in order; return the input problems."""
    global _matcher, _lines
    _matcher = matcher
    _lines = lines = data.splitlines()
    middle = len(lines) // 2
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:  # forked now: the child already holds matcher and lines
        second = pool.apply_async(_half, (middle, only_alerts))
        problems: list[str] = []
        first = render(matcher, jsonl_items(lines[:middle], problems), only_alerts=only_alerts)
        write_bytes(out, first)
        text, more = second.get()
    write_bytes(out, text)
    out.flush()
    return problems + more


def _half(middle: int, only_alerts: bool) -> tuple[bytes, list[str]]:
    assert _matcher is not None
    problems: list[str] = []
    items = jsonl_items(_lines[middle:], problems, middle + 1)
    return render(_matcher, items, only_alerts=only_alerts), problems
