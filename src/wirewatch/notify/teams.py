"""Microsoft Teams Workflows webhooks (`format: teams`): an Adaptive Card 1.4 in a message.

The envelope is `{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <card>}]}`. Each alert is a container
(title, snippet, facts) with an "Open article" button; a digest stacks the containers.

Feed text (titles, snippets) goes into `RichTextBlock` text runs, which Adaptive Cards never
read as Markdown: a headline's `[Verify your account](https://evil.example/login)` or
`**bold**` shows as written. `TextBlock`s, which do read Markdown, hold only our own words, and
the facts (watchlist, entity names, feed name, time) come from the config and the watchlist.
"""

from __future__ import annotations

from typing import Any

from wirewatch.notify.base import Message
from wirewatch.notify.render import AlertView, headline, truncate, views
from wirewatch.notify.webhook import WebhookFormat

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_ALERTS = 20
TITLE_LIMIT = 300

Element = dict[str, Any]


def render(message: Message) -> dict[str, Any]:
    shown = views(message)[:MAX_ALERTS]
    body: list[Element] = [_text(headline(message), weight="Bolder", size="Medium")]
    body += [_container(v) for v in shown]
    hidden = len(message.alerts) - len(shown)
    if hidden:
        body.append(_text(f"and {hidden} more alert{'s' if hidden != 1 else ''}", isSubtle=True))
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    attachment = {"contentType": CONTENT_TYPE, "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


def _container(v: AlertView) -> Element:
    items = [_feed_text(truncate(v.title, TITLE_LIMIT), weight="Bolder")]
    if v.snippet:
        items.append(_feed_text(v.snippet, isSubtle=True))
    facts = [{"title": name, "value": value} for name, value in v.facts]
    items.append({"type": "FactSet", "facts": facts})
    if v.url:
        action = {"type": "Action.OpenUrl", "title": "Open article", "url": v.url}
        items.append({"type": "ActionSet", "actions": [action]})
    return {"type": "Container", "separator": True, "items": items}


def _text(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _feed_text(text: str, **style: Any) -> Element:
    """Text as written: a text run is no Markdown, and "{{" cannot start a DATE() function."""
    run = {"type": "TextRun", "text": text.replace("{{", "{\u200b{"), **style}
    return {"type": "RichTextBlock", "inlines": [run]}


FORMAT = WebhookFormat("teams", render)
