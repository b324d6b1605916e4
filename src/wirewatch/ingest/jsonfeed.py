"""A small reader of JSON Feed 1.0 and 1.1, which feedparser does not read.

The format: https://jsonfeed.org/version/1.1. A document is recognised by its `version`; an item
that is not an object is skipped with a warning, and a value of the wrong type reads as absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from wirewatch.ingest._charset import repair_utf8
from wirewatch.ingest._entry import Document, Entry, NotAFeed, describe, plain, unique, without

VERSION_PREFIX = "https://jsonfeed.org/version/"


def is_json_feed(document: object) -> bool:
    """Whether a decoded JSON value is a JSON Feed: an object whose version names the spec."""
    version = document.get("version") if isinstance(document, dict) else None
    return isinstance(version, str) and version.startswith(VERSION_PREFIX)


def read(body: bytes, feed_url: str, max_items: int | None = None) -> Document:
    """The entries of a JSON Feed, the first `max_items` of them (feeds list the newest first);
    relative item URLs resolve against `feed_url`."""
    try:
        document = json.loads(repair_utf8(body, declared="utf-8"))
    except (ValueError, RecursionError) as e:
        raise NotAFeed(f"invalid JSON: {describe(e)}") from e
    if not is_json_feed(document):
        raise NotAFeed(f"JSON without a version starting with {VERSION_PREFIX}")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise NotAFeed("JSON Feed without an items array")
    language = _str(document, "language") or None
    total, raw_items = len(raw_items), raw_items[:max_items]
    entries = tuple(_from_json(i, feed_url, language) for i in raw_items if isinstance(i, dict))
    skipped = len(raw_items) - len(entries)
    warnings: tuple[str, ...] = (
        (f"items skipped as not JSON objects: {skipped}",) if skipped else ()
    )
    if total > len(raw_items):
        warnings += (f"document read up to entry {len(raw_items)} of {total}",)
    return Document(plain(document.get("title")), "json", entries, warnings)


def _from_json(item: dict[str, Any], feed_url: str, feed_language: str | None) -> Entry:
    summary = plain(item.get("summary"))
    content = plain(item.get("content_html")) or plain(item.get("content_text"))
    link = _str(item, "url") or _str(item, "external_url")
    authors = _list(item, "authors") or [item.get("author")]  # 1.1, else 1.0's one author
    tags = _list(item, "tags")
    return Entry(
        id=_id(item.get("id")),
        url=urljoin(feed_url, link) if link else "",
        title=plain(item.get("title")),
        summary=summary or content,
        content=without(content, summary or content),
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        authors=unique(plain(a.get("name")) for a in authors if isinstance(a, dict)),
        tags=unique(plain(t) for t in tags),
        language=_str(item, "language") or feed_language,
    )


def _str(mapping: dict[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _list(mapping: dict[str, Any], key: str) -> list[Any]:
    value = mapping.get(key)
    return value if isinstance(value, list) else []


def _id(value: object) -> str:
    """JSON Feed ids are strings; some publishers write numbers, which mean the same."""
    if isinstance(value, bool):
        return ""
    return str(value).strip() if isinstance(value, str | int | float) else ""


def _date(value: object) -> datetime | None:
    """An RFC 3339 date (or the RFC 822 kind some publishers write) as an aware UTC datetime.

    A date without an offset is taken as UTC; one that cannot be read is no date.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):
            return None
    try:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        return None
