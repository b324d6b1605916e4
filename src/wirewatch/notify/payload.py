"""The generic webhook payload (`format: json`), version 1.

The shape is a public contract, described by `webhook-payload.schema.json` (JSON Schema
2020-12, copied to docs/) and docs/webhooks.md. Fields may be added within a version; removing,
renaming or retyping one means a new `version`. The body is identical on every retry.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from wirewatch.model import Alert, Source
from wirewatch.notify.base import Message
from wirewatch.notify.render import iso, snippet, truncate
from wirewatch.notify.webhook import WebhookFormat, encode

VERSION = "1"
SCHEMA_FILE = "webhook-payload.schema.json"

JSONObject = dict[str, Any]


MAX_BYTES = 256 * 1024
"""A body is at most this long (UTF-8): if the whole one is longer, each entity keeps only its
first match (the others count in `omitted`), an alert its first 10 sources and 50 entities,
and titles 300 characters; the body then says `"truncated": true`."""
_SHRUNK = {"matches": 1, "sources": 10, "entities": 50, "title": 300}


def build(message: Message) -> JSONObject:
    """Return the payload: one alert's fields at the top level, or `alerts` for a digest."""
    body = _build(message, None)
    if len(encode(body)) <= MAX_BYTES:
        return body
    return _build(message, _SHRUNK) | {"truncated": True}


def _build(message: Message, cut: dict[str, int] | None) -> JSONObject:
    head: JSONObject = {"version": VERSION, "type": message.event, "id": message.delivery_id}
    if message.is_digest:
        return head | {"alerts": [alert_object(alert, cut) for alert in message.alerts]}
    return head | alert_object(message.alerts[0], cut)


def alert_object(alert: Alert, cut: dict[str, int] | None = None) -> JSONObject:
    sources = alert.sources[: cut["sources"]] if cut else alert.sources
    found = entities(alert, cut["matches"] if cut else None)
    return {
        "alert_id": alert.id,
        "story_id": alert.story_id,
        "event": alert.event,
        "watchlist": alert.watchlist,
        "created_at": iso(alert.created_at),
        "severity": alert.severity,
        "action": alert.action,
        "tags": list(alert.tags),
        "entities": found[: cut["entities"]] if cut else found,
        "items": [item_object(alert, cut["title"] if cut else None)],
        "sources": [source_object(s, cut["title"] if cut else None) for s in sources],
    }


def entities(alert: Alert, keep: int | None = None) -> list[JSONObject]:
    """Group matches by entity id, in order of first appearance. `name` is the entity's display
    name; each match says which of its names matched (`alias`) and the text found (`text`).
    `omitted` counts the matches of each entity left out before, and `keep` caps the matches
    listed (the others count)."""
    omitted = dict(alert.omitted)
    grouped: dict[str, JSONObject] = {}
    for m in alert.matches:
        entity = grouped.get(m.entity)
        if entity is None:
            name = alert.label_of(m.entity)
            entity = {"id": m.entity, "kind": m.kind, "name": name, "matches": []}
            entity["omitted"] = omitted.get(m.entity, 0)
            grouped[m.entity] = entity
        if keep is not None and len(entity["matches"]) >= keep:
            entity["omitted"] += 1
            continue
        entity["matches"].append(
            {"field": m.field, "start": m.start, "end": m.end, "text": m.text, "alias": m.name}
        )
    return list(grouped.values())


def item_object(alert: Alert, title_chars: int | None = None) -> JSONObject:
    item = alert.item
    return {
        "id": item.id,
        "title": truncate(item.title, title_chars) if title_chars else item.title,
        "url": item.url,
        "feed": alert.feed_label,
        "feed_url": item.feed,
        "published": iso(item.published),
        "summary": snippet(alert),
    }


def source_object(source: Source, title_chars: int | None = None) -> JSONObject:
    return {
        "feed": source.feed_name or source.feed,
        "feed_url": source.feed,
        "item_id": source.item_id,
        "title": truncate(source.title, title_chars) if title_chars else source.title,
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
