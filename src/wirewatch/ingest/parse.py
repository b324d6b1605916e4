"""The parse stage: a feed document's bytes in, our own `FeedItem`s out.

RSS 0.9x/2.0, RDF (RSS 1.0) and Atom go through feedparser, imported here and nowhere else;
JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) goes through a small reader of our own,
and plain well-formed RSS 2.0 (most feeds) through `_fastrss`, which gives what feedparser would
in a tenth of the time or refuses the document to feedparser (imported only then).
Both produce `Entry` values, which one function turns into items with a stable id, a canonical
URL, plain text from `plaintext.to_text` (the text the classifier's offsets point into) and UTC
dates.

A document that yields no entries and is broken or not a feed at all raises `ParseError`; a
broken document that still yields entries, or a valid one with none, is not an error: what went
wrong is reported in `ParsedFeed.warnings`. Everything here is pure and synchronous; feedparser
costs tens of milliseconds of CPU per hundred items, so callers run it off the event loop.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from wirewatch.config.limits import DEFAULT as DEFAULT_LIMITS
from wirewatch.config.limits import Limits, clip, clip_item
from wirewatch.errors import ParseError
from wirewatch.ingest import _fastrss
from wirewatch.ingest import jsonfeed as _jsonfeed
from wirewatch.ingest._charset import charset, repair_utf8
from wirewatch.ingest._cut import first_entries
from wirewatch.ingest._entry import (
    Document,
    Entry,
    FeedKind,
    NotAFeed,
    describe,
    plain,
    unique,
    without,
)
from wirewatch.ingest.urls import canonical_url
from wirewatch.model import FeedItem

FUTURE_TOLERANCE = timedelta(days=1)
_RDF_VERSIONS = frozenset({"rss090", "rss10"})
_READ_FACTOR = 2  # entries read per item taken: enough to pick the newest in most feeds


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one feed document held: its items in document order, its title, what went wrong."""

    items: tuple[FeedItem, ...]
    title: str = ""
    kind: FeedKind = "unknown"
    warnings: tuple[str, ...] = ()


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    feed_name: str,
    content_type: str | None = None,
    now: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    fast: bool = True,
) -> ParsedFeed:
    """Parse one feed document fetched from `feed_url` into items of the feed `feed_name`.

    `content_type` is the HTTP Content-Type (its charset decides the encoding of XML); `now`, an
    aware datetime, is when the document was fetched; `limits` caps the items taken and their
    texts; `fast=False` sends every XML document through feedparser (tests compare the two).
    Raises `ParseError` only.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        if _starts_with(body, b"{"):
            document = _jsonfeed.read(body, feed_url, _READ_FACTOR * limits.items_per_feed)
        else:
            document = _read_xml(body, feed_url, content_type, limits, fast)
    except NotAFeed as e:
        where = f"feed {feed_name!r} ({feed_url})" if feed_url else f"feed {feed_name!r}"
        raise ParseError(f"{where}: not a feed: {e}") from e.__cause__
    items, warnings = _to_items(document.entries, feed_name, now, limits)
    title = clip(document.title, limits.title_chars)
    return ParsedFeed(items, title, document.kind, document.warnings + warnings)


def _starts_with(body: bytes, prefix: bytes) -> bool:
    return body.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(prefix)


# ---- items --------------------------------------------------------------------------------------


def _to_items(
    entries: Iterable[Entry], feed_name: str, now: datetime, limits: Limits
) -> tuple[tuple[FeedItem, ...], tuple[str, ...]]:
    """Items with stable ids, canonical URLs, clamped dates and capped texts, at most
    `limits.items_per_feed` of them (the newest); warnings for what was changed."""
    items: dict[str, FeedItem] = {}
    anonymous = repeated = future = 0
    for entry in entries:
        url = canonical_url(entry.url) if entry.url else ""
        item_id = entry.id or url or _content_id(entry)
        if not item_id:
            anonymous += 1
            continue
        if item_id in items:
            repeated += 1
            continue
        published = entry.published
        if published is not None and published > now + FUTURE_TOLERANCE:
            published, future = now, future + 1
        item = replace(entry, id=item_id, feed=feed_name, url=url, published=published)
        items[item_id] = clip_item(item, limits)
    kept = _newest(tuple(items.values()), limits.items_per_feed)
    notes = [
        (anonymous, "entries skipped for want of an id, link, title or summary"),
        (repeated, "entries skipped as repeats of an earlier id"),
        (future, "entries dated more than a day ahead, dated at the fetch time instead"),
        (len(items) - len(kept), f"entries beyond the newest {limits.items_per_feed} skipped"),
    ]
    return kept, tuple(f"{text}: {n}" for n, text in notes if n)


def _newest(items: tuple[FeedItem, ...], cap: int) -> tuple[FeedItem, ...]:
    """The `cap` newest items in document order; undated ones count as older than any dated
    one, and among equals the earlier in the document wins (feeds list the newest first)."""
    if len(items) <= cap:
        return items
    oldest = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(range(len(items)), key=lambda i: (items[i].published or oldest, -i))
    return tuple(items[i] for i in sorted(ranked[-cap:]))


def _content_id(entry: Entry) -> str:
    if not (entry.title or entry.summary):
        return ""
    digest = hashlib.sha256(f"{entry.title}\n{entry.summary}".encode()).hexdigest()
    return f"sha256:{digest}"


# ---- RSS, RDF and Atom through feedparser -------------------------------------------------------


def _read_xml(
    body: bytes, feed_url: str, content_type: str | None, limits: Limits, fast: bool
) -> Document:
    if not body.strip():
        raise NotAFeed("the body is empty")
    body, cut = first_entries(body, _READ_FACTOR * limits.items_per_feed)
    body = repair_utf8(body, content_type)
    document = _fast(body, feed_url, content_type) if fast else None
    if document is None:
        document = _feedparser(body, feed_url, content_type)
    if cut:
        warnings = (
            *document.warnings,
            f"document read up to entry {len(document.entries)} of {cut}",
        )
        return Document(document.title, document.kind, document.entries, warnings)
    return document


def _fast(body: bytes, feed_url: str, content_type: str | None) -> Document | None:
    try:
        return _fastrss.read(body, feed_url, content_type)
    except _fastrss.Refused:
        return None


def _feedparser(body: bytes, feed_url: str, content_type: str | None) -> Document:
    import feedparser  # ~60 ms: only once a document needs it

    # Links still resolve against content-location. URIs inside HTML need not be resolved, nor
    # HTML sanitised: every text field is reduced to plain text by `to_text` (half the CPU).
    headers = {"content-location": feed_url, "content-type": _xml_media_type(content_type)}
    try:
        result = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as e:  # feedparser promises not to raise; should it, the body is no feed
        raise NotAFeed(f"feedparser failed: {describe(e)}") from e
    version = dict.get(result, "version") or ""
    problem = result.get("bozo_exception") if result.get("bozo") else None
    reason = describe(problem, added_lines=_added_lines(body)) if problem else ""
    raw_entries: Sequence[Any] = dict.get(result, "entries") or ()
    benign = isinstance(problem, feedparser.CharacterEncodingOverride)
    if not raw_entries and (not version or (problem and not benign)):
        raise NotAFeed(reason or "no RSS, Atom or RDF document found")
    feed: dict[str, Any] = dict.get(result, "feed") or {}
    language = _str(feed, "language") or None
    entries = tuple(_from_feedparser(e, language) for e in raw_entries)
    warnings: tuple[str, ...] = (f"malformed feed, parsed anyway: {reason}",) if reason else ()
    return Document(_text(feed, "title"), _kind(version), entries, warnings)


def _xml_media_type(content_type: str | None) -> str:
    """The Content-Type for feedparser: only the charset of the real one is worth passing on.

    feedparser reads the media type as RFC 3023 says: text/xml without a charset is US-ASCII,
    text/html is no feed, and no type at all is ISO-8859-1. Servers ignore all that, and we
    recognise feeds by content, so the type is always application/xml ("as declared, else UTF-8").
    """
    found = charset(content_type)
    return f"application/xml; charset={found}" if found else "application/xml"


def _added_lines(body: bytes) -> int:
    """feedparser puts an XML declaration on a line of its own before a body without one."""
    head = body[:64].replace(b"\x00", b"")
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    return 0 if head.startswith(b"<?xml") else 1


def _from_feedparser(entry: dict[str, Any], feed_language: str | None) -> Entry:
    summary = _text(entry, "summary")
    return Entry(
        id=_str(entry, "id").strip(),
        url=_str(entry, "link"),
        title=_text(entry, "title"),
        summary=summary,
        content=without(_longest_content(entry), summary),
        published=_utc(_raw(entry, "published_parsed")) or _utc(_raw(entry, "updated_parsed")),
        authors=unique(plain(a.get("name") or a.get("email")) for a in _dicts(entry, "authors")),
        tags=unique(plain(t.get("term") or t.get("label")) for t in _dicts(entry, "tags")),
        language=_entry_language(entry) or feed_language,
    )


def _raw(mapping: dict[str, Any], key: str) -> Any:
    """dict.get, not FeedParserDict.get: no key aliases, no DeprecationWarning for "updated"."""
    return dict.get(mapping, key)


def _str(mapping: dict[str, Any], key: str) -> str:
    value = _raw(mapping, key)
    return value if isinstance(value, str) else ""


def _dicts(mapping: dict[str, Any], key: str) -> list[dict[str, Any]]:
    values = _raw(mapping, key) or []
    return [v for v in values if isinstance(v, dict)]


def _text(mapping: dict[str, Any], key: str) -> str:
    return plain(_str(mapping, key))


def _longest_content(entry: dict[str, Any]) -> str:
    contents = [c for c in _dicts(entry, "content") if isinstance(c.get("value"), str)]
    if not contents:
        return ""
    longest = max(contents, key=lambda c: len(c["value"]))
    return plain(longest["value"])


def _entry_language(entry: dict[str, Any]) -> str | None:
    for key in ("title_detail", "summary_detail"):
        detail = _raw(entry, key) or {}
        if isinstance(detail.get("language"), str) and detail["language"]:
            return str(detail["language"])
    return None


def _utc(value: object) -> datetime | None:
    """feedparser's `*_parsed` values are UTC `struct_time`s; a leap second becomes :59."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:5], min(value[5], 59), tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _kind(version: str) -> FeedKind:
    if version in _RDF_VERSIONS:
        return "rdf"
    if version.startswith("rss"):
        return "rss"
    return "atom" if version.startswith("atom") else "unknown"
