"""Pure view models: what a template shows of an alert, a feed, a bench result.

Feed-supplied strings stay plain `str` here; the templates escape them (autoescape is on), so
no function in this module builds HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from wirewatch.match.classifier import Matcher
from wirewatch.model import Match
from wirewatch.storage import AlertRecord

SNIPPET = 320


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text; `match` is set when it is a highlighted mention."""

    text: str
    match: Match | None = None


@dataclass(frozen=True, slots=True)
class Chip:
    entity: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class SourceView:
    outlet: str
    title: str
    url: str
    time: datetime


@dataclass(frozen=True, slots=True)
class StoryView:
    id: str
    story_id: str
    watchlist: str
    severity: str
    action: str
    created_at: datetime
    url: str
    title: tuple[Segment, ...]
    snippet: tuple[Segment, ...]
    chips: tuple[Chip, ...]
    sources: tuple[SourceView, ...]


def segments(text: str, matches: Iterable[Match]) -> tuple[Segment, ...]:
    """`text` cut into plain and highlighted runs; overlapping or out-of-range spans are skipped.

    >>> [s.text for s in segments("Rebels near Homs", [])]
    ['Rebels near Homs']
    """
    parts: list[Segment] = []
    last = 0
    for m in sorted(matches, key=lambda m: (m.start, -m.end)):
        if m.start < last or m.end > len(text) or m.start >= m.end:
            continue
        if m.start > last:
            parts.append(Segment(text[last : m.start]))
        parts.append(Segment(text[m.start : m.end], m))
        last = m.end
    if last < len(text) or not parts:
        parts.append(Segment(text[last:]))
    return tuple(parts)


def snippet(text: str, matches: Sequence[Match], size: int = SNIPPET) -> tuple[Segment, ...]:
    """At most `size` characters of `text`, starting a little before its first mention."""
    if len(text) <= size:
        return segments(text, matches)
    first = min((m.start for m in matches), default=0)
    begin = max(0, min(first - size // 4, len(text) - size))
    end = begin + size
    shifted = [
        m._replace(start=m.start - begin, end=m.end - begin)
        for m in matches
        if begin <= m.start and m.end <= end
    ]
    body = segments(text[begin:end], shifted)
    return (
        *((Segment("… "),) if begin else ()),
        *body,
        *((Segment(" …"),) if end < len(text) else ()),
    )


def entity_names(matchers: Mapping[str, Matcher]) -> dict[tuple[str, str], tuple[str, str]]:
    """(watchlist, entity id) -> (the entity's first name, its kind)."""
    return {
        (name, e.id): (e.names[0], e.kind)
        for name, matcher in matchers.items()
        for e in matcher.watchlist.entities
    }


def outlet(feed: str, labels: Mapping[str, str]) -> str:
    """A feed's configured name, else its host name."""
    return labels.get(feed) or urlsplit(feed).hostname or feed


def story_view(
    record: AlertRecord,
    names: Mapping[tuple[str, str], tuple[str, str]],
    labels: Mapping[str, str],
) -> StoryView:
    alert = record.alert
    title = [m for m in alert.matches if m.field == "title"]
    summary = [m for m in alert.matches if m.field == "summary"]
    kinds = {m.entity: m.kind for m in alert.matches}
    chips = tuple(
        Chip(e, *names.get((alert.watchlist, e), (e, kinds.get(e, "")))) for e in record.entities
    )
    sources = tuple(
        SourceView(outlet(s.feed, labels), s.title, web_link(s.url), s.published or s.seen_at)
        for s in alert.sources
    ) or (
        SourceView(
            outlet(alert.item.feed, labels),
            alert.item.title,
            web_link(alert.item.url),
            alert.item.published or alert.created_at,
        ),
    )
    return StoryView(
        id=alert.id,
        story_id=alert.story_id,
        watchlist=alert.watchlist,
        severity=alert.severity or "normal",
        action=alert.action or "",
        created_at=alert.created_at,
        url=web_link(alert.item.url),
        title=segments(alert.item.title, title),
        snippet=snippet(alert.item.summary, summary) if alert.item.summary else (),
        chips=chips,
        sources=sources,
    )


def web_link(url: str) -> str:
    """`url` when it is an http(s) address, else "" (a feed may send `javascript:` links).

    >>> web_link("javascript:alert(1)"), web_link("https://example.org/a")
    ('', 'https://example.org/a')
    """
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else ""


def when(value: datetime | None) -> str:
    """A time as the page shows it: UTC, to the minute."""
    if value is None:
        return "never"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((now - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            break
    else:
        text = f"{seconds} s"
    return f"in {text}" if future else f"{text} ago"
