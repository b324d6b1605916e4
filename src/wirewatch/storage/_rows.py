"""Rows <-> records, written once for every store; each store passes its `Codec`.

Each kind of record kept in a row is described once, by a `Columns`: its columns in order and
the conversion of each column that is not kept as it is. Both directions come from it:
parameters as mappings of `:name` values, records from rows read by position.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from wirewatch.delivery.silences import Silence, decode_matchers, encode_matchers
from wirewatch.model import FeedItem, Source
from wirewatch.storage.codec import Codec, alert_from_json, delta_or_none, seconds_or_none
from wirewatch.storage.records import (
    DeliveryRecord,
    DeliveryState,
    DeliveryStatus,
    FeedState,
    FeedStatus,
    NotifierHealth,
    OutboxSummary,
)

V = TypeVar("V")
R = TypeVar("R")
Convert = Callable[[Codec, Any], Any]
"""How one column's value is written from its field, or read back into it."""


def grouped(found: Iterable[Any], value: Callable[[Any], V]) -> dict[str, list[V]]:
    """Rows grouped by their first column, each as `value(row)`, in the order given."""
    groups: dict[str, list[V]] = {}
    for row in found:
        groups.setdefault(row[0], []).append(value(row))
    return groups


def _as_is(codec: Codec, value: Any) -> Any:
    return value


def _time(codec: Codec, value: Any) -> Any:
    return codec.time(value)


def _read_time(codec: Codec, value: Any) -> Any:
    return codec.read_time(value)


def _required(codec: Codec, value: Any) -> Any:
    return codec.required(value)


def _array(codec: Codec, value: Any) -> Any:
    return codec.array(value)


def _read_array(codec: Codec, value: Any) -> Any:
    return codec.read_array(value)


def _plainly(convert: Callable[[Any], Any]) -> Convert:
    """A conversion that needs no codec."""
    return lambda codec, value: convert(value)


def _getter(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of `fields` of a record, as one tuple."""
    if len(fields) == 1:
        return lambda record: (getattr(record, fields[0]),)
    return operator.attrgetter(*fields) if fields else lambda record: ()


class Columns(Generic[R]):
    """How one kind of record is kept as a row: its columns in order, each named after the
    record's field (`renamed` maps the others to theirs), and how the columns that are not kept
    as they are are written (`write`) and read back (`read`)."""

    def __init__(
        self,
        kind: Callable[..., R],
        names: tuple[str, ...],
        *,
        write: Mapping[str, Convert] | None = None,
        read: Mapping[str, Convert] | None = None,
        renamed: Mapping[str, str] | None = None,
    ) -> None:
        self.kind, self.names = kind, names
        renamed, write, read = renamed or {}, write or {}, read or {}
        writes = [(c, renamed.get(c, c), write.get(c)) for c in names]
        self._plain = tuple(c for c, _, convert in writes if convert is None)
        self._plain_values = _getter(tuple(f for _, f, convert in writes if convert is None))
        self._converted = tuple((c, f, convert) for c, f, convert in writes if convert)
        self._reads = tuple((renamed.get(c, c), read.get(c, _as_is)) for c in names)

    def params(self, record: R, codec: Codec) -> dict[str, Any]:
        """`record` as the parameters named by `names` (those kept as they are read at once:
        an ingest makes one per item)."""
        found = dict(zip(self._plain, self._plain_values(record), strict=True))
        for c, f, convert in self._converted:
            found[c] = convert(codec, getattr(record, f))
        return found

    def record(self, row: Sequence[Any], codec: Codec) -> R:
        """The first columns of `row`, those of `names`, as a record (a row may have more)."""
        values = zip(self._reads, row, strict=False)
        return self.kind(**{f: convert(codec, value) for (f, convert), value in values})


FEED_POLLER = (
    "status",
    "etag",
    "last_modified",
    "http_status",
    "consecutive_failures",
    "last_error",
    "last_success",
    "next_due",
)
FEED_STORE = ("first_polled", "last_new_item", "publish_interval_s")
FEED_COLUMNS = ("key", *FEED_POLLER, *FEED_STORE)
RECENT_ITEMS = 21
"""How many recent items estimate a feed's publishing interval."""
_FEED_TIMES = ("last_success", "next_due", "first_polled", "last_new_item")
_FEED = Columns(
    FeedState,
    FEED_COLUMNS,
    write={
        "status": _plainly(operator.attrgetter("value")),
        "publish_interval_s": _plainly(seconds_or_none),
        **dict.fromkeys(_FEED_TIMES, _time),
    },
    read={
        "status": _plainly(FeedStatus),
        "publish_interval_s": _plainly(delta_or_none),
        **dict.fromkeys(_FEED_TIMES, _read_time),
    },
    renamed={"publish_interval_s": "publish_interval"},
)
feed_params = _FEED.params
feed_state = _FEED.record

_DELIVERY = Columns(
    DeliveryRecord,
    (
        "id",
        "alert_id",
        "notifier",
        "event",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "due_at",
        "alert",
        "lease_owner",
        "lease_until",
        "delivered_at",
        "digest_id",
    ),
    read={
        "state": _plainly(DeliveryState),
        "created_at": _required,
        "due_at": _required,
        "alert": _plainly(alert_from_json),
        "lease_until": _read_time,
        "delivered_at": _read_time,
    },
)
delivery_record = _DELIVERY.record
"""A row of an outbox select (`outbox.FIELDS`) as a DeliveryRecord."""

REQUEUABLE = frozenset({DeliveryState.DEAD, DeliveryState.FAILED})
"""The states `requeue` takes rows from."""

HEALTH_COLUMNS = (
    "notifier",
    "failing",
    "failures",
    "last_error",
    "failing_since",
    "probe_at",
    "updated_at",
)
_HEALTH_TIMES = ("failing_since", "probe_at", "updated_at")
_HEALTH = Columns(
    NotifierHealth,
    HEALTH_COLUMNS,
    write=dict.fromkeys(_HEALTH_TIMES, _time),
    read={
        "failing": _plainly(bool),
        "failing_since": _read_time,
        "probe_at": _read_time,
        "updated_at": _required,
    },
)
health_params = _HEALTH.params
notifier_health = _HEALTH.record

_COUNT = _plainly(lambda value: int(value or 0))
_SUMMARY = Columns(
    OutboxSummary,
    ("notifier", "pending", "failed", "dead", "delivered", "oldest_open"),
    read={
        **dict.fromkeys(("pending", "failed", "dead", "delivered"), _COUNT),
        "oldest_open": _read_time,
    },
)
outbox_summary = _SUMMARY.record
"""A row of the outbox summary (notifier, four counts by state, oldest open) as a record."""

_STATUS = Columns(
    DeliveryStatus,
    ("id", "notifier", "event", "state", "attempts", "last_error", "due_at", "delivered_at"),
    read={"state": _plainly(DeliveryState), "due_at": _required, "delivered_at": _read_time},
)
delivery_status = _STATUS.record

_ITEM = Columns(
    FeedItem,
    (
        "feed",
        "item_id",
        "url",
        "title",
        "summary",
        "content",
        "published",
        "authors",
        "tags",
        "language",
    ),
    write={"published": _time, "authors": _array, "tags": _array},
    read={"published": _read_time, "authors": _read_array, "tags": _read_array},
    renamed={"item_id": "id"},
)
stored_item = _ITEM.record


def item_params(item: FeedItem, now: Any, codec: Codec) -> dict[str, Any]:
    """An item row's parameters; `now` (encoded) is its first_seen and updated_at."""
    return _ITEM.params(item, codec) | {"now": now}


_SOURCE = Columns(
    Source,
    ("feed", "item_id", "title", "url", "published", "seen_at"),
    write={"published": _time, "seen_at": _time},
    read={"published": _read_time, "seen_at": _required},
)
source_params = _SOURCE.params
source = _SOURCE.record
"""A story source's row; the story_sources table keeps no feed name."""


SILENCE_COLUMNS = ("id", "matchers", "starts_at", "ends_at", "created_at", "comment", "author")
_SILENCE_TIMES = ("starts_at", "ends_at", "created_at")


def _encode_matchers(matchers: Any) -> str:
    return json.dumps(encode_matchers(matchers), ensure_ascii=False)


_SILENCE = Columns(
    Silence,
    SILENCE_COLUMNS,
    write={"matchers": _plainly(_encode_matchers), **dict.fromkeys(_SILENCE_TIMES, _time)},
    read={
        "matchers": _plainly(lambda text: decode_matchers(json.loads(text))),
        **dict.fromkeys(_SILENCE_TIMES, _required),
    },
)
silence_params = _SILENCE.params
silence = _SILENCE.record
