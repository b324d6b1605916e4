"""Conversions between our values and what a database column holds: shared by every store.

Alerts and their parts are JSON in both dialects. Where the dialects keep a value differently
(times, lists of strings, UTC days), a `Codec` names the conversion each one uses: SQLite keeps
times as fixed-width UTC text ("2024-12-08T05:30:00.000000Z", so that text order is time order)
and lists as JSON text, PostgreSQL as `timestamptz` and `text[]`.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast

from wirewatch import fastjson as _json
from wirewatch.config.limits import clip
from wirewatch.model import Alert, AlertEvent, FeedItem, Match, Source

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def ts(value: datetime) -> str:
    """A UTC-aware datetime as sortable text; naive datetimes are a programming error."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime given to the store: {value!r}")
    utc = value.astimezone(UTC)
    if utc.year < 1000:  # strftime writes these years unpadded: kept as they always were
        return utc.strftime(_FORMAT)
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # the same text, made faster


def ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else ts(value)


def dt(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def dt_or_none(value: str | None) -> datetime | None:
    return None if value is None else dt(value)


def seconds_or_none(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def delta_or_none(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def content_hash(item: FeedItem) -> str:
    """What decides whether a seen item was edited: its title and summary (64 bits)."""
    return short_hash(item.title, item.summary)


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def alert_id(story_id: str, watchlist: str) -> str:
    """Alerts are unique per (story, watchlist), and so is their id."""
    return f"al_{short_hash(story_id, watchlist)}"


_TO_JSON: dict[str, Callable[[Any], Any]] = {"published": ts_or_none, "seen_at": ts}
"""How a field of an item or a source is written in an alert's JSON, where it is not as is."""
_FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "published": dt_or_none,
    "seen_at": dt,
    "authors": tuple,
    "tags": tuple,
}
"""How such a field is read back, where it is not as is (JSON has lists, not tuples)."""
R = TypeVar("R", FeedItem, Source)


def _as_is(value: Any) -> Any:
    return value


_NAMES = {kind: tuple(f.name for f in fields(kind)) for kind in (FeedItem, Source)}
"""The fields of each record kind an alert's JSON holds, in order: its keys."""


def record_to_dict(record: FeedItem | Source) -> dict[str, Any]:
    """An item's or a source's fields by name, as an alert's JSON keeps them."""
    return {
        name: _TO_JSON.get(name, _as_is)(getattr(record, name)) for name in _NAMES[type(record)]
    }


def record_from_dict(kind: type[R], data: dict[str, Any]) -> R:
    """`record_to_dict` read back; a key missing from older rows takes the field's default."""
    names = (name for name in _NAMES[kind] if name in data)
    return kind(**{name: _FROM_JSON.get(name, _as_is)(data[name]) for name in names})


ALERT_TEXT_CHARS = 1_000
"""Characters of the item's summary and of its content that a stored alert keeps. Notifiers
show a 300-character snippet of them, and the items table keeps the whole texts (for stories and
backtests); so an alert row stays a few KiB and `/api/alerts` reads 50 of them in milliseconds."""


def alert_to_json(alert: Alert) -> str:
    item = record_to_dict(alert.item)
    item["summary"] = clip(alert.item.summary, ALERT_TEXT_CHARS)
    item["content"] = clip(alert.item.content, ALERT_TEXT_CHARS)
    return json.dumps(
        {
            "id": alert.id,
            "story_id": alert.story_id,
            "watchlist": alert.watchlist,
            "event": alert.event,
            "created_at": ts(alert.created_at),
            "item": item,
            "matches": [m._asdict() for m in alert.matches],
            "sources": [record_to_dict(s) for s in alert.sources],
            "severity": alert.severity,
            "tags": list(alert.tags),
            "omitted": dict(alert.omitted),
            "action": alert.action,
            "feed_name": alert.feed_name,
            "labels": dict(alert.labels),
            **({"muted": alert.muted} if alert.muted else {}),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


_MATCH_FIELDS = operator.itemgetter(*Match._fields)  # in C: 50 alerts have 1,000 matches


def alert_from_json(text: str) -> Alert:
    data = _json.loads(text)  # orjson: /api/alerts reads 50 of these per call
    return Alert(
        id=data["id"],
        story_id=data["story_id"],
        watchlist=data["watchlist"],
        event=cast(AlertEvent, data["event"]),
        created_at=dt(data["created_at"]),
        item=record_from_dict(FeedItem, data["item"]),
        matches=tuple(map(Match._make, map(_MATCH_FIELDS, data["matches"]))),
        sources=tuple(record_from_dict(Source, s) for s in data["sources"]),
        severity=data["severity"],
        tags=tuple(data["tags"]),
        omitted=tuple(data.get("omitted", {}).items()),  # rows stored before 2026-12 lack it
        action=data.get("action"),
        feed_name=data.get("feed_name", ""),
        labels=tuple(data.get("labels", {}).items()),
        muted=data.get("muted"),
    )


@dataclass(frozen=True, slots=True)
class Codec:
    """How one dialect writes values to its columns and reads them back."""

    time: Callable[[datetime | None], Any]
    """An optional aware datetime as a parameter; a naive one is a `ValueError`."""
    read_time: Callable[[Any], datetime | None]
    array: Callable[[Sequence[str]], Any]
    """A list of strings as a parameter (authors, tags, destinations)."""
    read_array: Callable[[Any], tuple[str, ...]]
    read_day: Callable[[Any], date]
    """A UTC day as the dialect's `item_counts` statement gives it."""

    def required(self, value: Any) -> datetime:
        decoded = self.read_time(value)
        if decoded is None:
            raise ValueError("a required time column is NULL")
        return decoded
