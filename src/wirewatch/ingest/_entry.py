"""The neutral form of a feed entry that both readers (feedparser's and JSON Feed's) produce.

Text is already plain, from `plaintext.to_text`; links are not yet canonical and ids not yet
chosen: `parse` does that once for both.
"""

from __future__ import annotations

import xml.sax
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from wirewatch.ingest.plaintext import to_text
from wirewatch.model import FeedItem

FeedKind = Literal["rss", "atom", "rdf", "json", "unknown"]
_MAX_EXTRA_PASSES = 2


Entry = FeedItem
"""One entry as either reader found it, in the shape of the item it becomes: text already plain,
but `id` is the entry's own id ("" when it has none), `url` its link, not yet canonical, and
`feed` empty. `parse` chooses the id, makes the link canonical and names the feed."""


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    kind: FeedKind
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...] = ()


class NotAFeed(Exception):
    """The body is no feed; the message says why, in a few words."""


def plain(value: object) -> str:
    """`to_text` of a string value, whatever type the feed declared, repeated until it is stable.

    Every field is then a fixed point of `to_text`: reading an item again (as `classify` does with
    JSON Lines) changes nothing, and double-escaped feeds (`&amp;nbsp;`) come out clean. The
    price: a word in angle brackets in a plain-text title is taken for a tag and dropped.
    """
    if not isinstance(value, str):
        return ""
    text = to_text(value)
    for _ in range(_MAX_EXTRA_PASSES):
        again = to_text(text)
        if again == text:
            break
        text = again
    return text


def unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def without(content: str, summary: str) -> str:
    return "" if content == summary else content


def describe(problem: BaseException, *, added_lines: int = 0) -> str:
    """One short line about `problem`; `added_lines` corrects XML line numbers for lines that
    feedparser put before the document."""
    if isinstance(problem, xml.sax.SAXParseException):
        line = max((problem.getLineNumber() or 1) - added_lines, 1)
        text = f"line {line}, column {problem.getColumnNumber()}: {problem.getMessage()}"
    else:
        text = " ".join(str(problem).split()) or type(problem).__name__
    return text if len(text) <= 200 else text[:199] + "…"
