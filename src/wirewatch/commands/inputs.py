"""What a command's input is, recognised by its content (cheap: nothing heavy is imported).

- "xml": markup, presumably RSS, Atom or RDF, in any encoding feedparser reads: UTF-8 with or
  without a byte order mark, and UTF-16 or UTF-32 with or without one;
- "json": a JSON Feed document;
- "jsonl": JSON Lines of items: text starting with "{" that is not a JSON Feed (a bad line is
  the reader's to report, by its number);
- "unknown": anything else.

Feed kinds go to `parse.parse_feed`, which has the last word on whether they are feeds.
"""

from __future__ import annotations

import json
from typing import Literal

from wirewatch.ingest.jsonfeed import is_json_feed

InputKind = Literal["json", "xml", "jsonl", "unknown"]

_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16 LE/BE, UTF-32 BE (LE too)


def sniff(body: bytes) -> InputKind:
    """Recognise `body` (see the module docstring)."""
    text = body.removeprefix(_UTF8_BOM).lstrip()
    if text.startswith(b"<") or body.startswith(_WIDE_BOMS) or _wide_markup(body):
        return "xml"
    if not text.startswith(b"{"):
        return "unknown"
    end = text.find(b"\n")
    first_line = text if end < 0 else text[:end]  # not split(): that would copy the rest
    try:  # JSON Lines start with a whole object on the first line: no need to read further
        return "json" if is_json_feed(json.loads(first_line)) else "jsonl"
    except (ValueError, RecursionError):
        pass
    try:  # a JSON Feed written over several lines
        return "json" if is_json_feed(json.loads(text)) else "jsonl"
    except (ValueError, RecursionError):
        return "jsonl"


def _wide_markup(body: bytes) -> bool:
    """UTF-16 or UTF-32 markup without a byte order mark: "<" with NUL bytes around it."""
    head = body[:4]
    return b"\x00" in head and head.replace(b"\x00", b"").startswith(b"<")
