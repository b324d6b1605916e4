"""Format-neutral views of a message, shared by every notifier's renderer.

Each format (JSON, Slack, Discord, Teams, email) escapes for its own syntax; this module only
decides what is said: the headline, the snippet, the entity names, the times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from wirewatch.model import Alert
from wirewatch.notify.base import Message

SNIPPET_LIMIT = 300
ELLIPSIS = "…"


def iso(moment: datetime | None) -> str | None:
    """Return `moment` as RFC 3339 UTC (`2024-12-07T18:30:00Z`); naive means UTC."""
    if moment is None:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def truncate(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, at a word boundary where possible."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return " ".join(text.split())


def snippet(alert: Alert, limit: int = SNIPPET_LIMIT) -> str:
    """Return the item's summary (or content) as one line of at most `limit` characters."""
    return truncate(one_line(alert.item.summary or alert.item.content), limit)


def is_web_link(url: str) -> bool:
    return url.startswith(("https://", "http://"))


@dataclass(frozen=True, slots=True)
class AlertView:
    """What a renderer says about one alert, before escaping."""

    title: str
    url: str
    feed: str
    published: str | None
    snippet: str
    watchlist: str
    entities: tuple[str, ...]
    severity: str | None
    event: str
    sources: int

    @property
    def label(self) -> str:
        return "Updated alert" if self.event == "alert.updated" else "New alert"

    @property
    def facts(self) -> tuple[tuple[str, str], ...]:
        """Name/value pairs worth showing under the snippet, empty ones left out."""
        pairs = (
            ("Watchlist", self.watchlist),
            ("Entities", ", ".join(self.entities)),
            ("Feed", self.feed),
            ("Published", self.published or ""),
            ("Severity", self.severity or ""),
            ("Reports", str(self.sources) if self.sources > 1 else ""),
        )
        return tuple((name, value) for name, value in pairs if value)


def view(alert: Alert) -> AlertView:
    item = alert.item
    return AlertView(
        title=one_line(item.title) or "(untitled)",
        url=item.url if is_web_link(item.url) else "",
        feed=one_line(alert.feed_label),
        published=iso(item.published),
        snippet=snippet(alert),
        watchlist=alert.watchlist,
        entities=tuple(alert.label_of(e) for e in dict.fromkeys(m.entity for m in alert.matches)),
        severity=alert.severity,
        event=alert.event,
        sources=len(alert.sources),
    )


def views(message: Message) -> tuple[AlertView, ...]:
    return tuple(view(alert) for alert in message.alerts)


def watchlists(message: Message) -> str:
    return ", ".join(dict.fromkeys(alert.watchlist for alert in message.alerts))


def headline(message: Message) -> str:
    """One line naming what happened: `New alert · syria` or `3 alerts · syria`."""
    if message.is_digest:
        count = len(message.alerts)
        return f"{count} alert{'s' if count != 1 else ''} · {watchlists(message)}"
    return f"{view(message.alerts[0]).label} · {message.alerts[0].watchlist}"


def title(message: Message) -> str:
    """The item title for one alert; for a digest, the count and the first title."""
    first = view(message.alerts[0]).title
    if not message.is_digest:
        return first
    return f"{len(message.alerts)} alerts, first: {first}"


def plain_text(message: Message) -> str:
    """The message as plain text (email body, chat fallbacks)."""
    blocks = [headline(message)]
    for v in views(message):
        lines = [v.title, v.url, v.snippet, *(f"{name}: {value}" for name, value in v.facts)]
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks) + "\n"
