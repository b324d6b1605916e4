"""The filters of the stories view, read from a query string and applied to alert records.

The store filters by time, watchlist and entity itself. Kind, severity, feed and the search
words are applied here, over the newest alerts that pass the store's filters, read
`SCAN_PAGE` at a time until the page is full or `SCAN_LIMIT` were read (the page then says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from urllib.parse import urlencode

from wirewatch.config.since import SinceError, parse_since
from wirewatch.match.fold import fold
from wirewatch.observability.query import BadQuery
from wirewatch.storage import AlertRecord

PAGE_SIZE = 50
SCAN_LIMIT = 2000
SCAN_PAGE = 200
SINCE_CHOICES = ("1h", "6h", "24h", "7d", "30d")
DEFAULT_SINCE = "7d"
KINDS = ("place", "actor")
_MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """What the analyst asked to see; every field comes from the query string."""

    since: str = DEFAULT_SINCE
    watchlist: str = ""
    entity: str = ""
    kind: str = ""
    action: str = ""
    severity: str = ""
    feed: str = ""
    q: str = ""
    offset: int = 0

    @property
    def narrowed(self) -> bool:
        """True when anything but the time window is chosen."""
        return bool(self.watchlist or self.entity or self.scans)

    @property
    def scans(self) -> bool:
        """True when some filter is applied here rather than by the store."""
        return bool(self.kind or self.action or self.severity or self.feed or self.q)

    def since_time(self, now: datetime) -> datetime:
        return parse_since(self.since, now)

    def query(self, **changes: str | int) -> str:
        """This filter as a query string, with `changes`, leaving out empty values."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return urlencode({k: v for k, v in values.items() if v and v != 0})

    def keep(self, record: AlertRecord) -> bool:
        alert = record.alert
        if self.kind and all(m.kind != self.kind for m in alert.matches):
            return False
        if self.action and alert.action != self.action:
            return False
        if self.severity and (alert.severity or "") != self.severity:
            return False
        if (
            self.feed
            and all(s.feed != self.feed for s in alert.sources)
            and (alert.item.feed != self.feed)
        ):
            return False
        if not self.q:
            return True
        titles = "\n".join(s.title for s in alert.sources)
        return _folded(self.q) in _folded(f"{alert.item.title}\n{alert.item.summary}\n{titles}")


def parse_filter(params: Mapping[str, str], *, now: datetime) -> StoryFilter:
    """Read the filter; `BadQuery` names a value that cannot be used."""
    known = {f.name for f in fields(StoryFilter)}
    values: dict[str, str] = {}
    for name, value in params.items():
        if name not in known:
            raise BadQuery(f"unknown filter {name!r}: use {', '.join(sorted(known))}")
        if len(value) > _MAX_TEXT:
            raise BadQuery(f"{name} must be at most {_MAX_TEXT} characters")
        values[name] = value.strip()
    offset = values.pop("offset", "") or "0"
    if not offset.isdigit():
        raise BadQuery(f"offset={offset!r} must be a whole number")
    if values.get("kind") and values["kind"] not in KINDS:
        raise BadQuery(f"kind must be one of {', '.join(KINDS)}")
    chosen = StoryFilter(**{k: v for k, v in values.items() if v}, offset=int(offset))
    try:
        parse_since(chosen.since, now)
    except SinceError as e:
        raise BadQuery(f"since: {e}") from None
    return chosen


def _folded(text: str) -> str:
    return fold(text)[0]


def window(now: datetime, chosen: StoryFilter) -> timedelta:
    return now - chosen.since_time(now)
