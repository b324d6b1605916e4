"""Discord webhooks (`format: discord`): a short `content` line plus one embed per alert.

Limits kept: content ≤ 2000 characters, ≤ 10 embeds and ≤ 6000 characters across them, titles
≤ 256, descriptions ≤ 4096. Mentions are off (`allowed_mentions: {"parse": []}`) and feed text
is escaped twice over: markdown characters get a backslash, `@everyone` and `@here` a zero-width
space. A 404 means the webhook was deleted, so it disables the notifier like a 410.
"""

from __future__ import annotations

import re
from typing import Any

from wirewatch.notify.base import Message
from wirewatch.notify.render import AlertView, headline, truncate, views
from wirewatch.notify.webhook import WebhookFormat

CONTENT_LIMIT = 2000
MAX_EMBEDS = 10
EMBEDS_TOTAL_LIMIT = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER = "wirewatch"
COLOURS = {"alert.created": 0xC0392B, "alert.updated": 0xE67E22}

_MARKDOWN = re.compile(r"([\\*_~`|<>\[\]])")
_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_BULLET = re.compile(r"^([-+#])")
_ORDERED = re.compile(r"^(\d+)\.")

Embed = dict[str, Any]


def escape(text: str) -> str:
    """Neutralise Discord markdown and mass mentions in `text`."""
    text = _MARKDOWN.sub(r"\\\1", text)
    text = _BULLET.sub(r"\\\1", text)
    text = _ORDERED.sub(r"\1\\.", text)
    return _MENTION.sub("@\u200b\\1", text)


def fit(text: str, limit: int) -> str:
    """Return `text` escaped and truncated so the escaped form has at most `limit` characters."""
    room = limit
    while True:
        escaped = escape(truncate(text, room))
        if len(escaped) <= limit:
            return escaped
        room -= len(escaped) - limit


def render(message: Message) -> dict[str, Any]:
    embeds: list[Embed] = []
    used = 0
    for v in views(message)[:MAX_EMBEDS]:
        embed = _embed(v)
        if used + embed_size(embed) > EMBEDS_TOTAL_LIMIT:
            break
        embeds.append(embed)
        used += embed_size(embed)
    content = headline(message)
    if len(embeds) < len(message.alerts):
        content += f" (showing {len(embeds)} of {len(message.alerts)})"
    return {
        "content": fit(content, CONTENT_LIMIT),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    }


def embed_size(embed: Embed) -> int:
    """Characters Discord counts toward the 6000 limit: title, description, fields, footer."""
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    footer = len(embed.get("footer", {}).get("text", ""))
    return len(embed.get("title", "")) + len(embed.get("description", "")) + fields + footer


def _embed(v: AlertView) -> Embed:
    embed: Embed = {"title": fit(v.title, TITLE_LIMIT), "color": COLOURS.get(v.event, 0)}
    if v.url:
        embed["url"] = v.url
    if v.snippet:
        embed["description"] = fit(v.snippet, DESCRIPTION_LIMIT)
    embed["fields"] = [
        {"name": fit(n, FIELD_NAME_LIMIT), "value": fit(val, FIELD_VALUE_LIMIT), "inline": True}
        for n, val in v.facts
    ]
    embed["footer"] = {"text": FOOTER}
    if v.published:
        embed["timestamp"] = v.published
    return embed


FORMAT = WebhookFormat("discord", render, gone=frozenset({404, 410}))
