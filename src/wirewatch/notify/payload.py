"""The generic webhook payload (`format: json`), version 1.

The shape is a public contract, described by `webhook-payload.schema.json` (JSON Schema
2020-12, copied to docs/) and docs/webhooks.md. Fields may be added within a version; removing,
renaming or retyping one means a new `version`. The body is identical on every retry.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from wirewatch.model import Alert, Match, Source
from wirewatch.notify.base import Message
from wirewatch.notify.render import iso, snippet
from wirewatch.notify.webhook import WebhookFormat

VERSION = "1"
SCHEMA_FILE = "webhook-payload.schema.json"

JSONObject = dict[str, Any]


def build(message: Message) -> JSONObject:
    """Return the payload: one alert's fields at the top level, or `alerts` for a digest."""
    head: JSONObject = {"version": VERSION, "type": message.event, "id": message.delivery_id}
    if message.is_digest:
        return head | {"alerts": [alert_object(alert) for alert in message.alerts]}
    return head | alert_object(message.alerts[0])


def alert_object(alert: Alert) -> JSONObject:
    return {
        "alert_id": alert.id,
        "story_id": alert.story_id,
        "event": alert.event,
        "watchlist": alert.watchlist,
        "created_at": iso(alert.created_at),
        "severity": alert.severity,
        "action": alert.action,
        "tags": list(alert.tags),
        "entities": entities(alert.matches),
        "items": [item_object(alert)],
        "sources": [source_object(s) for s in alert.sources],
    }


def entities(matches: tuple[Match, ...]) -> list[JSONObject]:
    """Group matches by entity id, in order of first appearance."""
    grouped: dict[str, JSONObject] = {}
    for m in matches:
        entity = grouped.setdefault(
            m.entity, {"id": m.entity, "kind": m.kind, "name": m.name, "matches": []}
        )
        entity["matches"].append({"field": m.field, "start": m.start, "end": m.end, "text": m.text})
    return list(grouped.values())


def item_object(alert: Alert) -> JSONObject:
    item = alert.item
    return {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "feed": item.feed,
        "published": iso(item.published),
        "summary": snippet(alert),
    }


def source_object(source: Source) -> JSONObject:
    return {
        "feed": source.feed,
        "item_id": source.item_id,
        "title": source.title,
        "url": source.url,
        "published": iso(source.published),
        "seen_at": iso(source.seen_at),
    }


def load_schema() -> JSONObject:
    """Return the payload's JSON Schema, the file shipped beside this module."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: JSONObject = json.loads(text)
    return schema


FORMAT = WebhookFormat("json", build)
