"""Scenario values for notifier tests: one Syria alert, a digest, hostile feed text, a clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from wirewatch.model import Alert, FeedItem, Match, Source
from wirewatch.notify.base import Message, delivery_id
from wirewatch.testing import EPOCH

NOW = EPOCH
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_c2Vjb25kLXNpZ25pbmcta2V5LWZvci1yb3RhdGlvbg=="
SMTP_USER = "alerts"
SMTP_PASSWORD = "pa55-w0rd-do-not-leak"


REUTERS = "https://www.reuters.com/world/rss"
AP = "https://apnews.com/rss"


def make_alert(index: int = 1, **changes: Any) -> Alert:
    """An alert on a Reuters report that rebels entered Homs."""
    title = "Syrian rebels enter Homs as Assad's forces withdraw"
    item = FeedItem(
        id=f"reuters-{index}",
        feed=REUTERS,
        title=title,
        summary="Rebels led by HTS entered the city of Homs on Saturday. " * 12,
        url=f"https://www.reuters.com/world/middle-east/homs-{index}/",
        published=datetime(2024, 12, 7, 17, 45, tzinfo=UTC),
    )
    matches = (
        Match("homs", "place", "Homs", "title", 20, 24, "Homs"),
        Match("assad", "actor", "Assad", "title", 28, 33, "Assad"),
        Match("hts", "actor", "HTS", "summary", 14, 17, "HTS"),
        Match("homs", "place", "Homs", "summary", 38, 42, "Homs"),
    )
    sources = (
        Source(REUTERS, item.id, title, item.url, item.published, NOW, "Reuters World"),
        Source(AP, "ap-9", "Rebels reach Homs", "https://apnews.com/a9", None, NOW, "AP Top News"),
    )
    alert = Alert(
        id=f"a{index}",
        story_id=f"s{index}",
        watchlist="syria",
        event="alert.created",
        created_at=NOW,
        item=item,
        matches=matches,
        sources=sources,
        severity="high",
        tags=("offensive",),
        feed_name="Reuters World",
        labels=(("homs", "Homs"), ("assad", "Bashar al-Assad"), ("hts", "HTS")),
    )
    return replace(alert, **changes)


def make_message(alert: Alert | None = None, notifier: str = "ops", attempt: int = 1) -> Message:
    alert = alert or make_alert()
    return Message(delivery_id(alert.id, notifier), alert.event, (alert,), attempt)


def make_digest(count: int, notifier: str = "ops") -> Message:
    alerts = tuple(make_alert(i) for i in range(1, count + 1))
    return Message(f"msg_digest_{count}_{notifier}", "alert.digest", alerts)


def hostile_alert() -> Alert:
    """An alert whose feed text tries mentions, link injection and markdown."""
    item = FeedItem(
        id="evil-1",
        feed="Evil <Feed> & Co",
        title="<!channel> @everyone *Homs* falls <http://evil.example|click> [x](http://e.x)",
        summary="@here see <http://evil.example|this> & <!here> `code` ~strike~",
        url="https://example.org/a?b=1&c=<2>|3",
    )
    return make_alert(item=item)
