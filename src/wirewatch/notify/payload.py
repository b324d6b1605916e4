"""The generic webhook payload (`format: json`), version 1.

The shape is a public contract, described by `webhook-payload.schema.json` (JSON Schema
2020-12, copied to docs/) and docs/webhooks.md. Fields may be added within a version; removing,
renaming or retyping one means a new `version`. The body is identical on every retry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from wirewatch.config.limits import PAYLOAD_BYTES
from wirewatch.geojson import NO_PLACES, Places
from wirewatch.model import Alert, Source
from wirewatch.notify.base import Message
from wirewatch.notify.render import iso, snippet, truncate
from wirewatch.notify.webhook import WebhookFormat, encode

VERSION = "1"
SCHEMA_FILE = "webhook-payload.schema.json"

JSONObject = dict[str, Any]


MAX_BYTES = PAYLOAD_BYTES
"""The default cap on a body (UTF-8), the config's `limits.payload_bytes`."""

Cut = dict[str, int]
_CUTS: tuple[Cut, ...] = (
    {"matches": 1, "sources": 10, "entities": 50, "title": 300},
    {"matches": 1, "sources": 2, "entities": 10, "title": 120},
)
"""How a body over the cap is shrunk, in turn, until it fits: each entity keeps only its first
match (the others count in `omitted`), an alert its first sources and entities, titles are
cut; the body then says `"truncated": true`. A digest too long even at the last step goes out
at that step, whole: an alert is never dropped to make a body fit."""


@dataclass(frozen=True, slots=True)
class Payloads:
    """How one loaded config builds bodies: its cap and where its place entities are."""

    max_bytes: int = MAX_BYTES
    places: Places = field(default=NO_PLACES)

    def build(self, message: Message) -> JSONObject:
        """The payload: one alert's fields at the top level, or `alerts` for a digest."""
        return self._sized(message)[0]

    def encoded(self, message: Message) -> bytes:
        """The payload as the UTF-8 bytes a webhook sends (encoded once)."""
        return self._sized(message)[1]

    def _sized(self, message: Message) -> tuple[JSONObject, bytes]:
        body = _build(message, None, self.places)
        data = encode(body)
        for cut in _CUTS:
            if len(data) <= self.max_bytes:
                break
            body = _build(message, cut, self.places) | {"truncated": True}
            data = encode(body)
        return body, data

    def format(self) -> WebhookFormat:
        """`format: json` with this cap and these places."""
        return WebhookFormat("json", self.build, encoded=self.encoded)


DEFAULT = Payloads()


def build(message: Message) -> JSONObject:
    """The payload with the default cap and no places known."""
    return DEFAULT.build(message)


def _build(message: Message, cut: Cut | None, places: Places) -> JSONObject:
    head: JSONObject = {"version": VERSION, "type": message.event, "id": message.delivery_id}
    if message.is_digest:
        return head | {"alerts": [alert_object(a, cut, places) for a in message.alerts]}
    return head | alert_object(message.alerts[0], cut, places)


def alert_object(alert: Alert, cut: Cut | None = None, places: Places = NO_PLACES) -> JSONObject:
    sources = alert.sources[: cut["sources"]] if cut else alert.sources
    found = entities(alert, cut["matches"] if cut else None, places)
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


def entities(alert: Alert, keep: int | None = None, places: Places = NO_PLACES
             ) -> list[JSONObject]:  # fmt: skip
    """Group matches by entity id, in order of first appearance. `name` is the entity's display
    name; each match says which of its names matched (`alias`) and the text found (`text`).
    `omitted` counts the matches of each entity left out before, and `keep` caps the matches
    listed (the others count). A located place carries its `coordinates` and `admin` path,
    and a match of an `include: within` area the `town` it named."""
    omitted = dict(alert.omitted)
    grouped: dict[str, JSONObject] = {}
    for m in alert.matches:
        entity = grouped.get(m.entity)
        point = places.point(alert.watchlist, m.entity)
        if entity is None:
            entity = {"id": m.entity, "kind": m.kind, "name": alert.label_of(m.entity)}
            entity |= {"matches": [], "omitted": omitted.get(m.entity, 0)}
            if point is not None:
                entity |= {"coordinates": [point.lat, point.lon], "admin": list(point.admin)}
            grouped[m.entity] = entity
        if keep is not None and len(entity["matches"]) >= keep:
            entity["omitted"] += 1
            continue
        found = {"field": m.field, "start": m.start, "end": m.end, "text": m.text, "alias": m.name}
        town = places.town(point, m.name) if point is not None else None
        entity["matches"].append(found | {"town": town.as_json()} if town else found)
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


FORMAT = DEFAULT.format()
